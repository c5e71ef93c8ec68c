import { RawFrame } from '../model/crash-report';
import { ResolvedFrame } from '../model/resolved-frame';
import { basename } from '../normalize/find-mapping';

/** Where a goroutine enters C: Go's frames end here, the native ones begin below it. */
export const CGO_ENTRY = /^runtime\.(cgocall|asmcgocall)(\.|$)/;
/** Libraries built without frame pointers (Debian's libc, the dynamic loader): a frame-pointer walk through them skips frames. */
const NO_FRAME_POINTERS = /^(libc|libpthread|libm|ld-linux[\w-]*)\.so(\.\d+)*$/;

const NO_WALKER =
  'Go prints no frames between the C fault and runtime.cgocall: the C callers of this frame are not in the text ' +
  '(a cgo traceback walker, runtime.SetCgoTraceback, or a core dump has them)';

/**
 * Where the input is known to lack frames, said at that spot (ResolvedFrame.framesMissingAfter):
 * the frames of a crashed goroutine above runtime.cgocall are native, and either Go printed
 * none (only the signal's pc is known: its callers are missing), or a walker printed them
 * and its walk is known to be broken after the leaf (a frameless leaf's caller is skipped;
 * the next pc is not code). `printed` are the goroutine's own frames as the input gave them.
 * Returns the frames with copies of the noted ones (resolved frames may be shared).
 */
export function noteMissingFrames(frames: ResolvedFrame[], printed: RawFrame[]): ResolvedFrame[] {
  const entry = frames.findIndex((f) => f.raw.kind === 'go' && CGO_ENTRY.test(f.raw.function ?? ''));
  if (entry <= 0) return frames;
  const natives = frames.slice(0, entry);
  if (!natives.every((f) => f.raw.kind === 'native')) return frames;
  const walked = natives.filter((f) => printed.includes(f.raw));
  const note = (i: number, why: string) => frames.map((f, j) => (j === i ? { ...f, framesMissingAfter: why } : f));
  if (walked.length === 0) return note(natives.length - 1, NO_WALKER);
  const leaf = natives[0];
  const next = natives[1];
  const leafPath = leaf.module ?? leaf.raw.module;
  const leafModule = leafPath && basename(leafPath);
  const frameless = leafModule !== undefined && NO_FRAME_POINTERS.test(leafModule);
  if (next && (next.module === undefined || next.module.startsWith('['))) {
    const pc = next.raw.pc !== undefined ? ` 0x${next.raw.pc.toString(16)}` : '';
    return note(
      0,
      `the walker lost the chain after this frame: the next pc${pc} is not code${frameless ? ` (${leafModule} keeps no frame pointers)` : ''}, ` +
        'so the real callers of this frame up to runtime.cgocall are missing (a frame-pointer walker skips a frameless leaf\'s caller)',
    );
  }
  if (frameless) {
    return note(0, `${leafModule} keeps no frame pointers: a frame-pointer walker skips the caller of a frameless leaf, so one frame may be missing here`);
  }
  return frames;
}
