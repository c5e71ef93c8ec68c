import { noteMissingFrames } from '../../../src/merge/missing-frames';
import { RawFrame } from '../../../src/model/crash-report';
import { ResolvedFrame } from '../../../src/model/resolved-frame';
import { parseInput } from '../../../src/parse/parse-input';
import { captured, modeRun } from '../../support/fixtures';

/**
 * Where the input is known to lack frames (issue 15 item 3), over real parsed goroutines
 * of the cgo fixture: with no walker Go prints nothing between the C fault and
 * runtime.cgocall; with a frame-pointer walker, a frameless leaf's caller is skipped.
 * Modules are placed by hand here (that is normalize's job, tested apart).
 */
const goroutine1 = (text: string) => parseInput({ traceback: text }).report.goroutines.find((g) => g.id === 1)!;
const placed = (raw: RawFrame, module?: string): ResolvedFrame => ({ raw, module });

it('no walker: the fault frame on top of runtime.cgocall gets the note, nothing else', () => {
  const g = goroutine1(captured('pie', 'stderr'));
  const fault: RawFrame = { kind: 'native', pc: 0x7f501cb3313en, addressKind: 'exact', inputLine: 2 };
  const frames = [placed(fault, '/x/libcrashy.so'), ...g.frames.map((f) => placed(f, '/x/crashy-pie'))];
  const out = noteMissingFrames(frames, g.frames);
  expect(out[0].framesMissingAfter).toMatch(/^Go prints no frames between the C fault and runtime\.cgocall/);
  expect(out.slice(1).every((f) => f.framesMissingAfter === undefined)).toBe(true);
  expect(frames[0].framesMissingAfter).toBeUndefined(); // a copy: resolved frames may be shared
});

it('walker, leaf in libc and the next pc not code (abort-tb): the chain is said lost after the leaf', () => {
  const g = goroutine1(modeRun('abort-tb-pie').stderr);
  expect(g.frames.slice(0, 2).map((f) => f.kind)).toEqual(['native', 'native']);
  const frames = g.frames.map((f, i) => placed(f, i === 0 ? '/usr/lib/x86_64-linux-gnu/libc.so.6' : i === 1 ? '[heap]' : '/x/crashmodes-pie'));
  const out = noteMissingFrames(frames, g.frames);
  expect(out[0].framesMissingAfter).toMatch(/^the walker lost the chain after this frame: the next pc 0x[0-9a-f]+ is not code \(libc\.so\.6 keeps no frame pointers\)/);
  expect(out.filter((f) => f.framesMissingAfter).length).toBe(1);
});

it('walker, leaf in libc, next pc in code: one frame may be missing after the leaf', () => {
  const g = goroutine1(modeRun('abort-tb-pie').stderr);
  const frames = g.frames.map((f, i) => placed(f, i === 0 ? '/usr/lib/x86_64-linux-gnu/libc.so.6' : i === 1 ? '/x/libcrashmodes.so' : '/x/crashmodes-pie'));
  expect(noteMissingFrames(frames, g.frames)[0].framesMissingAfter).toMatch(/^libc\.so\.6 keeps no frame pointers: a frame-pointer walker skips the caller of a frameless leaf/);
});

it('walker whose chain is whole (trap-tb: every frame in the library built with frame pointers): no note', () => {
  const g = goroutine1(modeRun('trap-tb-pie').stderr);
  const frames = g.frames.map((f) => placed(f, f.kind === 'native' ? '/x/libcrashmodes.so' : '/x/crashmodes-pie'));
  expect(noteMissingFrames(frames, g.frames).some((f) => f.framesMissingAfter)).toBe(false);
});

it('a goroutine not in a cgo call: no note', () => {
  const g = parseInput({ traceback: captured('pie', 'stderr') }).report.goroutines.find((x) => x.id === 2)!;
  const frames = g.frames.map((f) => placed(f, '/x/crashy-pie'));
  expect(noteMissingFrames(frames, g.frames)).toBe(frames);
});
