import { RawFrame } from './crash-report';
import { FrameSource, InlinedFrame } from './unified-stack';

/** What the resolver found at one lookup address. */
export interface ResolvedSymbol {
  /** The physical (outermost) function at the address. */
  function: string;
  file?: string;
  line?: number;
  column?: number;
  linkageName?: string;
  /** lookup address - symbol start, for symbol-table answers (`function+0x1f`). */
  offset?: bigint;
  /** Inlined into `function` at this address, innermost first. */
  inlined: InlinedFrame[];
  source: FrameSource;
  /** What answered: the build-id's symcache in-process, llvm-symbolizer, or the in-process symbol tables. */
  resolvedBy?: ResolvedBy;
}

export type ResolvedBy = 'symcache' | 'llvm-symbolizer' | 'symbol-table';

/** A raw frame after normalize + resolve: where it lives and what it is. */
export interface ResolvedFrame {
  raw: RawFrame;
  /** The absolute pc when the input gave none but the module's base is known (base + module offset). */
  computedPc?: bigint;
  module?: string;
  buildId?: string;
  fileOffset?: bigint;
  elfVaddr?: bigint;
  lookupAddress?: bigint;
  /** 1 was subtracted from elfVaddr (normalize's lookupFor). */
  subtractedOne?: boolean;
  /** A Go frame against the stored build's .gopclntab (normalize's check). */
  goCheck?: 'agrees' | 'differs';
  placedBy?: 'go-name';
  /** Set by merge for JNI native methods: `pkg.Cls.m(sig)`. */
  javaMethod?: string;
  symbol?: ResolvedSymbol;
  /** The input is known to lack this frame's callers (merge/missing-frames.ts): why, in words. */
  framesMissingAfter?: string;
  /** Why there is no symbol, in words (design: a missing symbol is a value, not an error). */
  reason?: string;
}
