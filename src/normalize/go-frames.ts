import { GoLine, GoPclntab } from '../elf/gopclntab';
import { RawFrame } from '../model/crash-report';

/**
 * Go frames against the binary's own function table (.gopclntab): the table Go's
 * traceback printed from. Two uses: placing a frame by the name and `+0x` offset Go
 * printed (no maps, or a pc in no mapping: another run's addresses), and checking that
 * a stored build says at the frame's lookup address what Go printed there.
 */

/** A frame Go named: its function is not `?` (traceback.go prints `?` for a pc in no known function). */
export function goNamed(f: RawFrame): boolean {
  return f.kind === 'go' && f.function !== undefined && f.function !== '?';
}

/** Does the table say at this frame's lookup address what Go printed: function, file:line and the inlined calls above it? */
export function goFrameAgrees(f: RawFrame, line: GoLine | undefined): boolean {
  if (!line) return false;
  const printed = [...(f.inlined ?? []), f];
  const table = [...line.inlined, line];
  return (
    printed.length === table.length &&
    printed.every((p, i) => sameFunction(p.function, table[i].function) && p.file === table[i].file && p.line === table[i].line)
  );
}

/** traceback.go prints runtime.gopanic as `panic`. */
function sameFunction(printed: string | undefined, table: string): boolean {
  return printed === table || (printed === 'panic' && table === 'runtime.gopanic');
}

export interface NamePlacement {
  /** The ELF address of each frame the table names: entry of its function + Go's `+0x` offset. */
  vaddrs: Map<RawFrame, bigint>;
  /** pc - vaddr of the frames that have a pc, when they all agree (the run's load bias of the module). */
  bias?: bigint;
  /** Frames with pcs disagree about the bias: this table is not the module they ran in. */
  conflicting: boolean;
}

export function placeByName(frames: RawFrame[], table: GoPclntab): NamePlacement {
  // Each frame's possible addresses: entry of every function of its name (an ABI wrapper shares it) + Go's `+0x`.
  const options = new Map<RawFrame, bigint[]>();
  for (const f of frames) {
    if (!goNamed(f)) continue;
    // No `+0x` is printed when the pc is the entry itself.
    const off = f.entryOffset ?? 0n;
    const at = table.funcsNamed(f.function === 'panic' ? 'runtime.gopanic' : f.function!).filter((fn) => fn.entry + off < fn.end).map((fn) => fn.entry + off);
    if (at.length > 0) options.set(f, at);
  }
  // The load bias from the frames whose name is unique; it then picks among a shared name's functions.
  const biases = new Set<bigint>();
  for (const [f, at] of options) if (at.length === 1 && f.pc !== undefined) biases.add(f.pc - at[0]);
  const bias = biases.size === 1 ? [...biases][0] : undefined;
  const vaddrs = new Map<RawFrame, bigint>();
  for (const [f, at] of options) {
    const pick = at.length === 1 ? at[0] : bias !== undefined && f.pc !== undefined ? at.find((v) => f.pc! - v === bias) : undefined;
    if (pick !== undefined) vaddrs.set(f, pick);
  }
  return { vaddrs, bias, conflicting: biases.size > 1 };
}
