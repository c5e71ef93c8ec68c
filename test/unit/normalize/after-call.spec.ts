import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterCall } from '../../../src/normalize/build-evidence';
import { FIXTURES } from '../../support/fixtures';
import { join } from 'node:path';

/** "A return address lands just after a call": the bytes before it end in one, as objdump decodes them. */
const X86 = 62;
const AARCH64 = 183;
const pad = (bytes: number[]) => Buffer.from([...Array(7 - bytes.length).fill(0x90), ...bytes]);

it('x86-64 call forms end where the return address is', () => {
  expect(afterCall(pad([0xe8, 1, 2, 3, 4]), X86)).toBe(true); // call rel32
  expect(afterCall(pad([0xff, 0xd0]), X86)).toBe(true); // call *%rax
  expect(afterCall(pad([0x41, 0xff, 0xd3]), X86)).toBe(true); // call *%r11
  expect(afterCall(pad([0xff, 0x15, 1, 2, 3, 4]), X86)).toBe(true); // call *disp32(%rip)
  expect(afterCall(pad([0xff, 0x50, 0x08]), X86)).toBe(true); // call *0x8(%rax)
  expect(afterCall(pad([0xff, 0x14, 0x24]), X86)).toBe(true); // call *(%rsp)
  expect(afterCall(pad([0x48, 0x89, 0xe5]), X86)).toBe(false); // mov %rsp,%rbp
  expect(afterCall(pad([0xff, 0xe0]), X86)).toBe(false); // jmp *%rax
});

it('AArch64 BL and BLR', () => {
  const insn = (w: number) => Buffer.concat([Buffer.alloc(3), Buffer.from(new Uint32Array([w]).buffer)]);
  expect(afterCall(insn(0x94000010), AARCH64)).toBe(true);
  expect(afterCall(insn(0xd63f0100), AARCH64)).toBe(true);
  expect(afterCall(insn(0xd61f0100), AARCH64)).toBe(false); // br x8
});

it('every call instruction objdump finds in the JNI fixture library is recognised from its end; no other end is', () => {
  const lib = join(FIXTURES, 'jni-crash', 'build', 'libjnicrash.so');
  const bytes = readFileSync(lib);
  const lines = execFileSync('objdump', ['-d', '--no-show-raw-insn', lib], { encoding: 'utf8' }).split('\n');
  const insns = lines.map((l) => /^\s+([0-9a-f]+):\s+(\S+)/.exec(l)).filter((m): m is RegExpExecArray => m !== null).map((m) => ({ at: parseInt(m[1], 16), op: m[2] }));
  let calls = 0;
  for (let i = 0; i + 1 < insns.length; i++) {
    const end = insns[i + 1].at; // .text file offsets equal vaddrs in this library (first PT_LOAD at 0)
    if (end < 7) continue;
    const isCall = insns[i].op.startsWith('call');
    if (isCall) calls++;
    if (isCall) expect([insns[i], afterCall(bytes.subarray(end - 7, end), X86)]).toEqual([insns[i], true]);
  }
  expect(calls).toBeGreaterThanOrEqual(5);
});
