import { execFileSync } from 'node:child_process';
import { UnifiedFrame, UnifiedStack } from '../../src/model/unified-stack';

/**
 * An oracle that shares no code with the service: the rebase formula over the input's own
 * maps lines and `readelf -lW`, `nm` for name + offset, and llvm-symbolizer at the lookup
 * address. Every frame of a result that has a pc in an uploaded module is checked.
 */
interface Load {
  offset: bigint;
  vaddr: bigint;
  filesz: bigint;
}
const loadsCache = new Map<string, Load[]>();
function loads(file: string): Load[] {
  let l = loadsCache.get(file);
  if (!l) {
    l = execFileSync('readelf', ['-lW', file], { encoding: 'utf8' })
      .split('\n')
      .filter((x) => /^\s+LOAD\s/.test(x))
      .map((x) => x.trim().split(/\s+/))
      .map((c) => ({ offset: BigInt(c[1]), vaddr: BigInt(c[2]), filesz: BigInt(c[4]) }));
    loadsCache.set(file, l);
  }
  return l;
}

const nmCache = new Map<string, Map<string, bigint>>();
function nm(file: string): Map<string, bigint> {
  let m = nmCache.get(file);
  if (!m) {
    m = new Map();
    for (const line of execFileSync('nm', [file], { encoding: 'utf8', maxBuffer: 64 << 20 }).split('\n')) {
      const c = /^([0-9a-f]+) [tT] (.+)$/.exec(line);
      if (c && !m.has(c[2])) m.set(c[2], BigInt(`0x${c[1]}`));
    }
    nmCache.set(file, m);
  }
  return m;
}

interface MapsLine {
  start: bigint;
  end: bigint;
  offset: bigint;
  path: string;
}
export function mapsLines(text: string): MapsLine[] {
  return [...text.matchAll(/^([0-9a-f]+)-([0-9a-f]+) [r-][w-][x-][ps] ([0-9a-f]+) \S+ \d+\s+(\/\S+)/gm)].map((m) => ({
    start: BigInt(`0x${m[1]}`),
    end: BigInt(`0x${m[2]}`),
    offset: BigInt(`0x${m[3]}`),
    path: m[4],
  }));
}

type Sym = { FunctionName: string; FileName: string; Line: number; Column: number };
const answers = new Map<string, Sym[]>();
/** llvm-symbolizer once per file for all the addresses not asked yet (a process per frame would take minutes). */
function symbolizeAll(file: string, addresses: bigint[]): void {
  const todo = [...new Set(addresses.filter((a) => !answers.has(`${file}:${a}`)))];
  if (todo.length === 0) return;
  const out = execFileSync('llvm-symbolizer', ['--output-style=JSON', '--obj', file, ...todo.map((a) => `0x${a.toString(16)}`)], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  });
  (JSON.parse(out) as Array<{ Symbol: Sym[] }>).forEach((a, i) => answers.set(`${file}:${todo[i]}`, a.Symbol));
}
function symbolize(file: string, address: bigint): Sym[] {
  symbolizeAll(file, [address]);
  return answers.get(`${file}:${address}`)!;
}

/** Go's DWARF says `./runtime/proc.go` (trimpath) and `pkg.f.abi0` for assembly-ABI functions; Go prints `runtime/proc.go` and `pkg.f`. */
const goName = (s: string) => s.replace(/\.abi0$/, '');
const goFile = (s: string) => s.replace(/^\.\//, '');

export interface OracleCount {
  checked: number;
  inlined: number;
  goPrintChecked: number;
  /** Frames with a pc in a module nobody uploaded (libc): placed, not resolvable. */
  notUploaded: number;
}

/**
 * For every frame with a pc whose module is one of `files` (base name -> fixture path):
 * the vaddr the oracle computes (maps + readelf, or nm + Go's `+0x`, or hs_err's
 * lib+offset) is module_offset; llvm-symbolizer at it (minus 1 for a return address)
 * gives the function, file, line, column and inline chain the frame carries; a Go
 * frame also reads as Go printed it (`input`).
 */
export function checkEveryFrame(stack: UnifiedStack, files: Record<string, string>, input: string): OracleCount {
  const maps = mapsLines(input);
  const lines = input.split('\n');
  const count: OracleCount = { checked: 0, inlined: 0, goPrintChecked: 0, notUploaded: 0 };
  // Ask llvm-symbolizer for every frame's lookup address in one go per file.
  const byFile = new Map<string, bigint[]>();
  for (const f of stack.threads.flatMap((t) => t.frames)) {
    const file = f.module ? files[f.module.replace(/^.*\//, '')] : undefined;
    if (file && f.lookup_address) byFile.set(file, [...(byFile.get(file) ?? []), BigInt(f.lookup_address)]);
  }
  for (const [file, addrs] of byFile) symbolizeAll(file, addrs);
  for (const t of stack.threads) {
    for (const f of t.frames) {
      if (f.pc === undefined) continue;
      const base = f.module?.replace(/^.*\//, '');
      const file = base ? files[base] : undefined;
      if (!file) {
        if (f.module) count.notUploaded++;
        continue;
      }
      const where = `${t.id} frame ${t.frames.indexOf(f)} (${f.function} pc=${f.pc}, input line ${f.input_line})`;
      const vaddr = oracleVaddr(f, file, maps, lines);
      expect([where, f.module_offset]).toEqual([where, `0x${vaddr.toString(16)}`]);
      const lookup = f.address_kind === 'return' ? vaddr - 1n : vaddr;
      expect([where, f.lookup_address]).toEqual([where, `0x${lookup.toString(16)}`]);
      const want = symbolize(file, lookup);
      const go = f.kind === 'go';
      const ours = [...f.inlined, f].map((x) => [x.function, x.file, x.line, go ? undefined : x.column || undefined]);
      const theirs = want.map((s) => [go ? goName(s.FunctionName) : s.FunctionName, go ? goFile(s.FileName) : s.FileName, s.Line, go ? undefined : s.Column || undefined]);
      expect([where, ours]).toEqual([where, theirs]);
      if (go) {
        // ...and Go's own print: each physical and inlined frame's function line, then its file:line.
        for (const x of [...f.inlined, f]) {
          const no = x === f ? f.input_line! : x.input_line!;
          expect([where, lines[no - 1].trim().startsWith(`${x.function}(`)]).toEqual([where, true]);
          expect([where, lines[no].trim().startsWith(`${x.file}:${x.line}`)]).toEqual([where, true]);
        }
        expect([where, f.pclntab_check]).toEqual([where, 'agrees']);
        count.goPrintChecked++;
      }
      count.checked++;
      count.inlined += f.inlined.length;
    }
  }
  return count;
}

function oracleVaddr(f: UnifiedFrame, file: string, maps: MapsLine[], lines: string[]): bigint {
  const segs = loads(file);
  if (f.placed_by === 'go-name') {
    // Go printed `name(args)` then `file:line +0xOFF`: nm's value of the name plus OFF.
    // Go prints an ABI wrapper (`pkg.f.abi0` to nm, `<autogenerated>:1`) by the plain name: of
    // the two, the one whose code at that offset is where Go said it was.
    const off = BigInt(/\+(0x[0-9a-f]+)/.exec(lines[f.input_line!])?.[1] ?? '0x0');
    const printed = lines[f.input_line!].trim().split(' ')[0];
    const entries = [f.function!, `${f.function!}.abi0`].map((n) => nm(file).get(n)).filter((e): e is bigint => e !== undefined);
    const at = (e: bigint) => symbolize(file, e + off - (off > 0n ? 1n : 0n)).at(-1)!;
    const entry = entries.length === 1 ? entries[0] : entries.find((e) => `${goFile(at(e).FileName)}:${at(e).Line}` === printed);
    if (entry === undefined) throw new Error(`nm has no ${f.function} in ${file} that Go's ${printed} fits`);
    return entry + off;
  }
  if (f.input_module_offset !== undefined && f.frame_type !== undefined) {
    // hs_err `[lib.so+0xOFF]`: OFF from the first PT_LOAD's page.
    const first = segs.reduce((a, s) => (s.vaddr < a ? s.vaddr : a), segs[0].vaddr);
    return BigInt(f.input_module_offset) + (first - (first % 4096n));
  }
  const pc = BigInt(f.pc!);
  const m = maps.find((x) => x.start <= pc && pc < x.end && x.path.endsWith(`/${f.module!.replace(/^.*\//, '')}`));
  if (!m) throw new Error(`pc ${f.pc} of ${f.module} is in no maps line of the input`);
  const fo = pc - m.start + m.offset;
  const seg = segs.find((s) => s.offset <= fo && fo < s.offset + s.filesz);
  if (!seg) throw new Error(`file offset 0x${fo.toString(16)} is in no PT_LOAD of ${file}`);
  return fo - seg.offset + seg.vaddr;
}
