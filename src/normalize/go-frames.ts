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
  const vaddrs = new Map<RawFrame, bigint>();
  const biases = new Set<bigint>();
  for (const f of frames) {
    const fn = goNamed(f) ? table.func(f.function === 'panic' ? 'runtime.gopanic' : f.function!) : undefined;
    if (!fn) continue;
    // No `+0x` is printed when the pc is the entry itself.
    const vaddr = fn.entry + (f.entryOffset ?? 0n);
    if (vaddr >= fn.end) continue;
    vaddrs.set(f, vaddr);
    if (f.pc !== undefined) biases.add(f.pc - vaddr);
  }
  return { vaddrs, bias: biases.size === 1 ? [...biases][0] : undefined, conflicting: biases.size > 1 };
}
