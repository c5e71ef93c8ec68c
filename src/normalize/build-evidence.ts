import { loadSegments } from '../elf/elf-types';
import { findSymbol } from '../elf/symbol-table';
import { CrashReport, RawFrame } from '../model/crash-report';
import { Mapping } from '../model/mapping';
import { lookupFor } from './address-kind';
import { basename, findMapping } from './find-mapping';
import { goFrameAgrees, goNamed } from './go-frames';
import type { ModuleIdentifier } from './module-identity';
import { normalizeModuleRelative, RelativeTo } from './module-relative';

/**
 * Picking among several stored builds of one file that all fit the mappings (every
 * release of a library has the same layout) by what the crash text itself says about
 * the code, checked against each candidate's own bytes, symbols and tables:
 *   go-frame        Go's printed function and file:line against the candidate's .gopclntab
 *   code-bytes      Go's `instruction bytes:`, hs_err's `Instructions:` dump against its bytes
 *   symbol          hs_err's `sym+0x..` (the Problematic frame too), a tombstone's `(sym+12)`, against its symbols
 *   return-address  every native caller's pc lands just after a call instruction of the candidate
 * A candidate agrees when some evidence agrees and none disagrees; one is picked only
 * when exactly one agrees, never by guess.
 */
export type EvidenceKind = 'go-frame' | 'code-bytes' | 'symbol' | 'return-address';

/** Where an item is: an absolute pc (placed through the maps) or an offset relative to the module. */
type At = { pc: bigint } | { moduleOffset: bigint; base: RelativeTo; module: string };

export interface EvidenceItem {
  kind: EvidenceKind;
  at: At;
  /** go-frame: the frame as printed. */
  frame?: RawFrame;
  bytes?: number[];
  /** symbol: the name and offset printed. */
  symbol?: { name: string; offset: bigint };
  /** What said it, for the explanation: `instruction bytes: (Go)`, `hs_err Instructions`, ... */
  source: string;
  inputLine: number;
}

/** All the evidence the report holds; each module takes the items that fall in it (evidenceFor). */
export function collectEvidence(report: CrashReport): EvidenceItem[] {
  const items: EvidenceItem[] = [];
  const frames = [...report.goroutines.flatMap((g) => g.frames), ...(report.threads ?? []).flatMap((t) => t.frames)];
  for (const f of frames) {
    const at = atOf(f);
    if (!at) continue;
    if (goNamed(f) && f.pc !== undefined) items.push({ kind: 'go-frame', at, frame: f, source: "Go's printed frames", inputLine: f.inputLine });
    // Not Go's: goexit's pc is its entry + 1, a preempted or signalled frame's pc was injected, not called from.
    if (f.addressKind === 'return' && f.kind !== 'go') items.push({ kind: 'return-address', at, source: 'return addresses after a call', inputLine: f.inputLine });
    if (f.kind !== 'go' && f.function && f.entryOffset !== undefined && f.moduleOffset !== undefined) {
      const source = f.moduleOffsetBase === 'elf-vaddr' ? 'tombstone symbol+offset' : 'hs_err symbol+offset';
      items.push({ kind: 'symbol', at, symbol: { name: f.function, offset: f.entryOffset }, source, inputLine: f.inputLine });
    }
  }
  const problematic = report.hsErr?.problematicFrame;
  if (problematic?.function && problematic.entryOffset !== undefined) {
    const at = atOf(problematic);
    if (at) items.push({ kind: 'symbol', at, symbol: { name: problematic.function, offset: problematic.entryOffset }, source: 'hs_err Problematic frame', inputLine: problematic.inputLine });
  }
  const ib = report.signalBlocks?.[0]?.instructionBytes;
  const fault = report.signalBlocks?.[0]?.fault?.pc;
  if (ib && fault !== undefined) items.push({ kind: 'code-bytes', at: { pc: fault }, bytes: ib.bytes, source: "Go's instruction bytes", inputLine: ib.inputLine });
  for (const l of report.hsErr?.instructions?.lines ?? []) {
    items.push({ kind: 'code-bytes', at: { pc: l.address }, bytes: l.bytes, source: 'hs_err Instructions dump', inputLine: l.inputLine });
  }
  return items;
}

function atOf(f: RawFrame): At | undefined {
  if (f.moduleOffset !== undefined && f.module) return { moduleOffset: f.moduleOffset, base: f.moduleOffsetBase ?? 'load-base', module: f.module };
  return f.pc !== undefined ? { pc: f.pc } : undefined;
}

/** The items about the file mapped at `path`: absolute pcs in its mappings, offsets printed against its name. */
export function evidenceFor(items: EvidenceItem[], path: string, mappings: Mapping[]): EvidenceItem[] {
  const name = basename(path);
  return items.filter((i) => ('pc' in i.at ? findMapping(mappings, i.at.pc)?.path === path : i.at.module === path || basename(i.at.module) === name));
}

export interface Candidate {
  id: string;
  /** From the layout fit: absolute pcs need it; without mappings only module-relative items count. */
  loadBias?: bigint;
}

interface Tally {
  agree: Map<string, number>;
  disagree: Map<string, { count: number; line: number }>;
}

export type EvidenceVerdict = { picked: string; how: string } | { picked?: undefined; why: string };

export async function pickByEvidence(name: string, candidates: Candidate[], items: EvidenceItem[], identifier: ModuleIdentifier): Promise<EvidenceVerdict> {
  if (items.length === 0) return { why: 'the crash text holds no evidence about its code (no Go frames, instruction bytes, symbol+offset or return addresses in it)' };
  const tallies = new Map<string, Tally>();
  for (const c of candidates) tallies.set(c.id, await tally(c, items, identifier));
  const agreeing = candidates.filter((c) => tallies.get(c.id)!.disagree.size === 0 && tallies.get(c.id)!.agree.size > 0);
  const says = (id: string) => {
    const t = tallies.get(id)!;
    const no = [...t.disagree].map(([s, d]) => `${s} disagree${d.count > 1 ? ` (${d.count})` : ''} (input line ${d.line})`);
    return no.length > 0 ? no.join(', ') : t.agree.size > 0 ? `${[...t.agree.keys()].join(', ')} agree` : 'nothing to check';
  };
  if (agreeing.length === 1) {
    const winner = agreeing[0].id;
    const evidence = [...tallies.get(winner)!.agree].map(([s, n]) => `${s} (${n})`).join(', ');
    const others = candidates.filter((c) => c.id !== winner).map((c) => `${c.id}: ${says(c.id)}`);
    return { picked: winner, how: `evidence in the crash text picked ${winner} among ${candidates.length} stored ${name}: ${evidence} agree; ${others.join('; ')}` };
  }
  if (agreeing.length > 1) {
    return { why: `the crash text's evidence agrees with ${agreeing.length} of them (${agreeing.map((c) => `${c.id}: ${says(c.id)}`).join('; ')}), so it cannot tell them apart` };
  }
  return { why: `the crash text's evidence agrees with none of them (${candidates.map((c) => `${c.id}: ${says(c.id)}`).join('; ')})` };
}

async function tally(c: Candidate, items: EvidenceItem[], identifier: ModuleIdentifier): Promise<Tally> {
  const t: Tally = { agree: new Map(), disagree: new Map() };
  const layout = await identifier.layoutOf(c.id);
  if (!layout) return t;
  const loads = loadSegments(layout);
  for (const item of items) {
    let vaddr: bigint | undefined;
    if ('pc' in item.at) vaddr = c.loadBias !== undefined ? item.at.pc - c.loadBias : undefined;
    else {
      const r = normalizeModuleRelative(item.at.moduleOffset, item.at.base, loads);
      vaddr = r.ok ? r.elfVaddr : undefined;
    }
    if (vaddr === undefined) continue;
    const verdict = await check(item, vaddr, c.id, layout.header.machine, identifier);
    if (verdict === undefined) continue;
    if (verdict) t.agree.set(item.source, (t.agree.get(item.source) ?? 0) + 1);
    else {
      const d = t.disagree.get(item.source);
      t.disagree.set(item.source, { count: (d?.count ?? 0) + 1, line: d?.line ?? item.inputLine });
    }
  }
  return t;
}

const EM_X86_64 = 62;
const EM_AARCH64 = 183;

/** true: the candidate says what the text says; false: it says otherwise; undefined: nothing to compare. */
async function check(item: EvidenceItem, vaddr: bigint, id: string, machine: number, identifier: ModuleIdentifier): Promise<boolean | undefined> {
  switch (item.kind) {
    case 'go-frame': {
      const table = await identifier.goTable(id);
      return goFrameAgrees(item.frame!, table?.lookup(lookupFor(vaddr, item.frame!.addressKind).lookupAddress));
    }
    case 'code-bytes': {
      const have = await identifier.bytesAt(id, vaddr, item.bytes!.length);
      return have && have.length === item.bytes!.length ? have.equals(Buffer.from(item.bytes!)) : undefined;
    }
    case 'symbol': {
      const sym = findSymbol(await identifier.symbolsOf(id), vaddr);
      return sym !== undefined && sym.name === item.symbol!.name && vaddr - sym.value === item.symbol!.offset;
    }
    case 'return-address': {
      const before = await identifier.bytesAt(id, vaddr - 7n, 7);
      return before && before.length === 7 ? afterCall(before, machine) : undefined;
    }
  }
}

/** Do the 7 bytes before a return address end in a call instruction? (x86-64: e8 rel32 and the ff /2 forms; AArch64: BL, BLR.) */
export function afterCall(b: Buffer, machine: number): boolean | undefined {
  if (machine === EM_AARCH64) {
    const insn = b.readUInt32LE(3);
    return (insn & 0xfc000000) >>> 0 === 0x94000000 || (insn & 0xfffffc1f) >>> 0 === 0xd63f0000;
  }
  if (machine !== EM_X86_64) return undefined;
  if (b[2] === 0xe8) return true; // call rel32
  // call r/m64 (ff /2): modrm reg field 2, the instruction ending at the return address.
  const ff = (at: number, len: number) => {
    if (b[at] !== 0xff) return false;
    const modrm = b[at + 1];
    if (((modrm >> 3) & 7) !== 2) return false;
    const mod = modrm >> 6;
    const rm = modrm & 7;
    const sib = mod !== 3 && rm === 4 ? 1 : 0;
    const disp = mod === 1 ? 1 : mod === 2 || (mod === 0 && rm === 5) ? 4 : 0;
    const sibBase5 = sib && mod === 0 && (b[at + 2] & 7) === 5 ? 4 : 0;
    return 2 + sib + disp + sibBase5 === len;
  };
  for (let len = 2; len <= 7; len++) if (ff(7 - len, len) || (len >= 3 && (b[7 - len] & 0xf0) === 0x40 && ff(8 - len, len - 1))) return true;
  return false;
}
