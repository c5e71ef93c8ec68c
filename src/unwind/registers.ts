/**
 * x86_64 registers by DWARF number (System V psABI table 3.36), the numbering CFI
 * rules use; core notes name them, and the unwinder converts once.
 */
export const X86_64_DWARF = ['rax', 'rdx', 'rcx', 'rbx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip'] as const;
export const RBP = 6;
export const RSP = 7;
export const RIP = 16;

/** A register file: DWARF number -> value; a register that is unknown (not recovered) is absent. */
export type Registers = Map<number, bigint>;

export function fromNamed(named: Record<string, bigint>): Registers {
  const out: Registers = new Map();
  X86_64_DWARF.forEach((name, i) => {
    if (named[name] !== undefined) out.set(i, named[name]);
  });
  return out;
}

/** Callee-saved across calls (rbx, rbp, r12-r15): without a CFI rule they keep their value in the caller. */
export const CALLEE_SAVED = new Set([3, 6, 12, 13, 14, 15]);
