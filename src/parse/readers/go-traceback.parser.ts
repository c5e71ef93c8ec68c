import { Address } from '../../model/address';
import { CrashReport, FaultPc, GoroutineTrace, InlinedCall, RawFrame, SignalBlock, SignalInfo } from '../../model/crash-report';
import { hexAt } from '../hex-field';
import { FormatReader, LineShape, nothingToRead } from '../format-reader';
import { TextLine } from '../text-lines';

/**
 * Go runtime tracebacks, Go 1.4 to today (runtime/traceback.go, runtime/signal_unix.go,
 * runtime/panic.go): heads, nested and `[recovered]` panics, signal lines (named and the
 * old numeric `[signal 0xb ...]`), goroutine headers old and new (`gp= m= mp=`), frame
 * pairs (`func(args)` + `file:line [+0x1f] [fp= sp= [pc=]]`), `created by X [in goroutine N]`,
 * elided frames, cgo frames (`non-Go function` + `pc=`, and frames a cgo symbolizer named),
 * `runtime stack:` and the register dumps of amd64 and arm64.
 * Inlined calls (`f(...)` + `file:line` with no `+0x`, fp or pc: traceback.go prints them
 * so) are nested into the physical frame printed after them, which owns the pc.
 * A GOTRACEBACK=crash trace holds one signal block per M (SignalBlock): the first is the
 * crash; the report's signal, fault, registers and inCgo are that block's.
 * Indentation is not trusted (pastes re-indent): structure comes from the shape of lines.
 * Pure: text in, CrashReport out; every piece keeps its input line.
 */

const HEAD = /^(panic|fatal error): (.*)$/;
const NESTED_PANIC = /^panic: (.*?)( \[recovered\])?$/;
const SIGNAL_BRACKET =
  /^\[signal (SIG[A-Z0-9]+|0x[0-9a-f]+)(?:: ([^\]]*?))?(?: code=(\S+))?(?: addr=(0x[0-9a-f]+))?(?: pc=(0x[0-9a-f]+))?\]$/i;
const SIGNAL_LINE = /^(SIG[A-Z0-9]+): (.+)$/;
/** Windows (signal_windows.go): `Exception 0xc0000005 0x0 0x0 0x3a903b6`: the code, read/write, the address, the pc. */
const EXCEPTION_LINE = /^Exception (0x[0-9a-f]+) (0x[0-9a-f]+) (0x[0-9a-f]+) (0x[0-9a-f]+)$/i;
const PC_LINE = /^PC=(0x[0-9a-f]+)(?: m=(\d+))?(?: sigcode=(\S+))?(?: addr=(0x[0-9a-f]+))?/;
const GOROUTINE = /^goroutine (\d+)(?: gp=\S+ m=\S+(?: mp=\S+)?)? \[([^\]]*)\]:$/;
/** A Go frame's function line, `pkg.f(args)` (its arguments may hold one level of parentheses). */
export const FUNC_LINE = /^(\S.*?)(\((?:[^()]|\([^()]*\))*\))$/;
/**
 * `file:line`, then optionally ` +0x1f`, ` fp=.. sp=..`, ` pc=..` (each may be missing in some
 * version); a shell prompt may be glued after the last one (output with no final newline: `+0x1> `).
 */
const FILE_LINE =
  /^(.+?):(\d+)(?: \+(0x[0-9a-f]+))?(?: fp=(0x[0-9a-f]+) sp=(0x[0-9a-f]+))?(?: pc=(0x[0-9a-f]+))?(?:(?<=[0-9a-f])[>$%#])?$/i;
/**
 * Go before 1.0 (2011) printed each frame as `pkg.f+0xac /path/file.c:1060` and its call, indented,
 * on the next line (`    pkg.f(0x56e560, ..)`); a goroutine's creator after `----- goroutine created by -----`.
 */
const OLD_FRAME = /^([^\s/:(][^\s(]*?)(?:\+(0x[0-9a-f]+))? ((?:[A-Za-z]:)?\/\S+):(\d+)$/i;
const OLD_CREATED_BY = /^-{3,} goroutine created by -{3,}$/;
const CREATED_BY = /^created by (\S+?)(?: in goroutine (\d+))?$/;
const REGISTER = /^(r[a-z0-9]+|rip|rflags|cs|fs|gs|pc|lr|sp|fault|[re]?[abcd]x|[re]?[sd]i|[re]?[sb]p|eip|eflags)\s+(0x[0-9a-f]+)$/i;
const NON_GO = /^non-Go function(?: at pc=(0x[0-9a-f]+))?$/;
const BARE_PC = /^pc=(0x[0-9a-f]+)$/i;
/** A symbol name as a cgo symbolizer prints it: no spaces, no parentheses (not an elision `..` a reporter typed). */
const BARE_SYMBOL = /^(?!\.+$)[A-Za-z_.$][\w.$:<>~@-]*$/;
const INSTRUCTION_BYTES = /^instruction bytes:((?: 0x[0-9a-f]{1,2})+)$/i;
/**
 * What the shell (or `go run`) prints after the process died: `Aborted (core dumped)`,
 * `Segmentation fault`, bash's `./run.sh: line 3: 4242 Aborted  (core dumped) ./app`,
 * `signal: segmentation fault (core dumped)`, `exit status 2`. Not a frame.
 */
const SHELL_TRAILER = new RegExp(
  [
    /^(?:signal: )?(?:aborted|killed|segmentation fault|illegal instruction|bus error|floating point exception|trace\/breakpoint trap)(?: \(core dumped\))?$/,
    /^(?:quit|terminated) \(core dumped\)$/,
    /^\S+: line \d+: +\d+ +[a-z][a-z/ ]*?(?: +\(core dumped\))?(?: +\S.*)?$/,
    /^exit status \d+$/,
  ]
    .map((r) => r.source)
    .join('|'),
  'i',
);
const ELIDED = /^\.\.\.(?:additional frames elided|\d+ frames elided)\.\.\.$/;

export function parseGoTraceback(lines: TextLine[], field = 'traceback'): CrashReport {
  const report: CrashReport = { inCgo: false, goroutines: [], registers: {}, mappings: [], panics: [] };
  let current: GoroutineTrace | undefined;
  let pendingFrame: RawFrame | undefined;
  /** The pending frame's file line had Go's inlined shape (no `+0x`, fp= or pc=). */
  let pendingInlinedShape = false;
  /** Inlined calls printed so far above the next physical frame, innermost first. */
  let inlined: InlinedCall[] = [];
  let pendingCreatedBy = false;
  let afterSigpanic = false;
  let orphan: RawFrame | undefined;
  let registersSeen = false;
  /** The last frame came in the pre-Go 1 form: its call line (the arguments) follows. */
  let oldCall: RawFrame | undefined;
  let oldCreatedBy = false;
  const blocks: SignalBlock[] = [];
  let block: SignalBlock | undefined;
  const openBlock = (sig: SignalInfo): SignalBlock => {
    block = { signal: sig, inCgo: false, registers: {}, goroutines: [], inputLine: sig.inputLine };
    blocks.push(block);
    return block;
  };

  const finishFrame = () => {
    const f = pendingFrame;
    pendingFrame = undefined;
    if (!f || !current) return;
    // A bare word that no file line (nor pc) followed is no frame: a reporter's `XXX` for a frame it hid.
    if (f.kind === 'unknown' && f.file === undefined && f.pc === undefined) return;
    if (f.kind === 'go' && f.args === '(...)' && pendingInlinedShape && f.function) {
      inlined.push({ function: f.function, args: f.args, file: f.file, line: f.line, inputLine: f.inputLine });
      return;
    }
    if (inlined.length > 0) f.inlined = inlined;
    inlined = [];
    // Go's own rule (traceback.go): the frame after sigpanic faulted at its pc exactly.
    if (afterSigpanic && f.addressKind === 'return') f.addressKind = 'exact';
    afterSigpanic = f.function === 'runtime.sigpanic';
    current.frames.push(f);
  };
  /** The goroutine's frames end: inlined calls with no physical frame after them (a cut paste) stay frames of their own. */
  const endFrames = () => {
    finishFrame();
    for (const c of inlined) current?.frames.push({ kind: 'go', ...c, addressKind: 'return' });
    inlined = [];
  };

  for (const line of lines) {
    const text = line.text.trim();
    if (text === '') {
      endFrames();
      continue;
    }

    let m: RegExpExecArray | null;
    if ((m = HEAD.exec(text))) {
      if (!report.headline) report.headline = { text, inputLine: line.no };
      if (m[1] === 'panic') {
        const p = NESTED_PANIC.exec(text)!;
        report.panics!.push({ text: p[1], recovered: p[2] !== undefined, inputLine: line.no });
      }
      continue;
    }
    if ((m = SIGNAL_BRACKET.exec(text))) {
      // `panic: ..` / `fatal error: ..` then `[signal ..]`: one block (a later one after goroutines is another crash text).
      const sig = signal(m[1], m[2], m[3], m[4], m[5], line.no, field);
      const b = block && block.goroutines.length === 0 && !block.fault ? block : openBlock(sig);
      sig.text = [text];
      b.signal = sig;
      if (m[5]) b.fault = fault(m[5], 'signal-pc', line.no, field);
      continue;
    }
    if ((m = SIGNAL_LINE.exec(text)) && !current) {
      openBlock({ name: m[1], description: m[2], text: [text], inputLine: line.no });
      continue;
    }
    if ((m = EXCEPTION_LINE.exec(text)) && !current) {
      // Named as the `[signal 0xc0000005 ..]` form names it; the `PC=` line after it lands in this block.
      openBlock({ name: `signal ${m[1].toLowerCase()}`, code: m[2], addr: hexAt(m[3], line.no, field), text: [text], inputLine: line.no });
      continue;
    }
    if ((m = PC_LINE.exec(text))) {
      const b = block && !block.fault && block.goroutines.length === 0 ? block : openBlock({ name: 'unknown signal', inputLine: line.no });
      b.fault = fault(m[1], 'PC=', line.no, field);
      if (m[2]) b.m = Number(m[2]);
      b.signal = {
        ...b.signal,
        code: m[3] ?? b.signal.code,
        addr: m[4] ? hexAt(m[4], line.no, field) : b.signal.addr,
        pc: b.fault.pc,
        text: [...(b.signal.text ?? []), text],
      };
      continue;
    }
    // Windows says `external code` for the same (a cgo call, or a DLL's thread).
    if (/signal arrived during (?:cgo|external code) execution/.test(text)) {
      if (block) block.inCgo = true;
      if (block && block.goroutines.length === 0) block.signal.text = [...(block.signal.text ?? []), text];
      report.inCgo ||= !block;
      continue;
    }
    if ((m = INSTRUCTION_BYTES.exec(text)) && block) {
      block.instructionBytes = { bytes: m[1].trim().split(' ').map((b) => parseInt(b, 16)), inputLine: line.no };
      if (block.goroutines.length === 0) block.signal.text = [...(block.signal.text ?? []), text];
      continue;
    }
    if ((m = GOROUTINE.exec(text)) || text === 'runtime stack:') {
      endFrames();
      const id = m ? Number(m[1]) : -1;
      // An M's own block prints the stack the crash block could not ("goroutine running on other thread").
      const earlier = m && blocks.length > 1 && id !== 0 ? report.goroutines.find((g) => g.id === id && g.stackUnavailable && g.frames.length === 0) : undefined;
      if (earlier) {
        earlier.stackUnavailable = false;
        current = earlier;
      } else {
        current = m
          ? { id, name: `goroutine ${m[1]}`, state: m[2].split(',')[0].trim(), header: text, inputLine: line.no, frames: [] }
          : { id: -1, name: 'runtime stack', state: 'runtime stack', system: true, inputLine: line.no, frames: [] };
        report.goroutines.push(current);
      }
      if (block) {
        current.block = blocks.length - 1;
        block.goroutines.push(current);
      }
      afterSigpanic = false;
      inlined = [];
      pendingCreatedBy = false;
      continue;
    }
    if (OLD_CREATED_BY.test(text) && current) {
      endFrames();
      oldCreatedBy = true;
      oldCall = undefined;
      continue;
    }
    if ((m = OLD_FRAME.exec(text))) {
      endFrames();
      const at = { file: m[3], line: Number(m[4]), entryOffset: m[2] ? hexAt(m[2], line.no, field) : undefined };
      if (oldCreatedBy && current) {
        current.createdBy = { function: m[1], ...at, inputLine: line.no };
        oldCreatedBy = false;
        oldCall = undefined;
        continue;
      }
      if (!current) {
        current = { id: 0, name: 'goroutine ? (header not in the paste)', state: 'unknown', inputLine: line.no, frames: [] };
        report.goroutines.push(current);
      }
      const f: RawFrame = { kind: 'go', function: m[1], addressKind: 'return', inputLine: line.no, file: at.file, line: at.line };
      if (at.entryOffset !== undefined) f.entryOffset = at.entryOffset;
      pendingFrame = f;
      finishFrame();
      oldCall = f;
      continue;
    }
    if (oldCall && (m = FUNC_LINE.exec(text)) && m[1] === oldCall.function) {
      oldCall.args = m[2];
      oldCall = undefined;
      continue;
    }
    oldCall = undefined;
    if ((m = REGISTER.exec(text))) {
      endFrames();
      (block ?? report).registers[m[1].toLowerCase()] = hexAt(m[2], line.no, field);
      current = undefined;
      registersSeen = true;
      continue;
    }
    if (!current) {
      // A paste that starts inside a goroutine: a `func(args)` line followed by its file
      // line opens an implicit goroutine whose header was not pasted. Other text is tolerated.
      if (orphan && (m = FILE_LINE.exec(text))) {
        current = { id: 0, name: 'goroutine ? (header not in the paste)', state: 'unknown', inputLine: orphan.inputLine, frames: [] };
        report.goroutines.push(current);
        pendingFrame = orphan;
        orphan = undefined;
      } else {
        m = registersSeen ? null : FUNC_LINE.exec(text);
        // gccgo prints a frame's function as a bare symbol (`runtime_mstart`).
        const bare = !m && !registersSeen && BARE_SYMBOL.test(text);
        orphan = m || bare ? { kind: 'go', function: m ? m[1] : text, args: m?.[2], addressKind: 'return', inputLine: line.no } : undefined;
        continue;
      }
    }

    if (text === 'goroutine running on other thread; stack unavailable') {
      current.stackUnavailable = true;
      continue;
    }
    if ((m = CREATED_BY.exec(text))) {
      endFrames();
      current.createdBy = { function: m[1], goroutine: m[2] ? Number(m[2]) : undefined, inputLine: line.no };
      pendingCreatedBy = true;
      continue;
    }
    if (SHELL_TRAILER.test(text)) {
      endFrames();
      current = undefined;
      continue;
    }
    if (ELIDED.test(text)) {
      endFrames();
      current.framesElided = true;
      continue;
    }
    if ((m = NON_GO.exec(text))) {
      finishFrame();
      pendingFrame = { kind: 'native', addressKind: 'return', inputLine: line.no };
      if (m[1]) {
        pendingFrame.pc = hexAt(m[1], line.no, field);
        finishFrame();
      }
      continue;
    }
    if ((m = BARE_PC.exec(text)) && pendingFrame?.kind === 'native') {
      pendingFrame.pc = hexAt(m[1], line.no, field);
      finishFrame();
      continue;
    }
    if ((pendingFrame || pendingCreatedBy) && (m = FILE_LINE.exec(text))) {
      if (pendingCreatedBy && current.createdBy && !pendingFrame) {
        current.createdBy.file = m[1];
        current.createdBy.line = Number(m[2]);
        if (m[3]) current.createdBy.entryOffset = hexAt(m[3], line.no, field);
        pendingCreatedBy = false;
      } else if (pendingFrame) {
        pendingFrame.file = m[1];
        pendingFrame.line = Number(m[2]);
        if (m[3]) pendingFrame.entryOffset = hexAt(m[3], line.no, field);
        // fp= sp= as printed (GOTRACEBACK=system/crash): kept so the text rendering reads as Go's.
        if (m[4]) pendingFrame.fp = hexAt(m[4], line.no, field);
        if (m[5]) pendingFrame.sp = hexAt(m[5], line.no, field);
        if (m[6]) pendingFrame.pc = hexAt(m[6], line.no, field);
        pendingInlinedShape = !m[3] && !m[4] && !m[6];
        if (pendingFrame.kind === 'unknown') {
          // `name` + `\tfile:line pc=0x..` with no `+0x`: a frame a cgo symbolizer named
          // (runtime.printOneCgoTraceback); its pc was already adjusted by the symbolizer.
          const cgo = m[6] !== undefined && !m[3] && !m[4];
          pendingFrame.kind = cgo ? 'native' : 'go';
          if (cgo) pendingFrame.addressKind = 'adjusted';
        }
        finishFrame();
      }
      continue;
    }
    if ((m = FUNC_LINE.exec(text)) || BARE_SYMBOL.test(text)) {
      finishFrame();
      pendingFrame = { kind: m ? 'go' : 'unknown', function: m ? m[1] : text, args: m ? m[2] : undefined, addressKind: 'return', inputLine: line.no };
      pendingInlinedShape = false;
      pendingCreatedBy = false;
      continue;
    }
  }
  endFrames();

  for (const b of blocks) {
    const reg = b.registers.rip ?? b.registers.pc;
    if (!b.fault && reg !== undefined) b.fault = { pc: reg, source: 'register', inputLine: b.signal.inputLine };
  }
  const crash = blocks[0];
  if (crash) {
    report.signalBlocks = blocks;
    report.signal = crash.signal;
    report.fault = crash.fault;
    report.inCgo ||= crash.inCgo;
    report.registers = { ...report.registers, ...crash.registers };
    // A signal Go threw on (SIGILL, SIGABRT: no `panic:` or `fatal error:` head) is the headline itself.
    if (!report.headline && crash.signal.description) report.headline = { text: `${crash.signal.name}: ${crash.signal.description}`, inputLine: crash.inputLine };
  } else if (!report.fault) {
    const reg = report.registers.rip ?? report.registers.pc;
    if (reg !== undefined && report.signal) report.fault = { pc: reg, source: 'register', inputLine: report.signal.inputLine };
  }
  // The trap frame (the one the signal interrupted) is at its M's PC exactly, as
  // traceback.go's _TraceTrap; a bare name that never got a file line is left unknown.
  for (const g of report.goroutines) {
    const top = g.frames[0];
    const pc: Address | undefined = g.block !== undefined ? blocks[g.block].fault?.pc : report.fault?.pc;
    if (top?.pc !== undefined && pc !== undefined && top.pc === pc) top.addressKind = 'exact';
  }
  if (report.goroutines.length === 0 || report.goroutines.every((g) => g.frames.length === 0)) {
    throw nothingToRead(
      lines,
      field,
      `${field} holds no Go stack frames: expected a goroutine header like "goroutine 1 [running]:" ` +
        `followed by frames ("main.main()" then "\\t/path/main.go:12 +0x1d")`,
      '; the text is empty',
    );
  }
  return report;
}

/** The lines of a goroutine's stack (the race detector prints the same ones). */
export const GO_FRAME_SHAPES: LineShape[] = [
  { name: 'file line `path.go:12 +0x1d`', re: /^\S.*:\d+ \+0x[0-9a-f]+(?: fp=0x[0-9a-f]+ sp=0x[0-9a-f]+)?(?: pc=0x[0-9a-f]+)?$/, role: 'strong' },
  { name: '`created by f`', re: /^created by \S+(?: in goroutine \d+)?$/, role: 'strong' },
  { name: 'elided frames', re: /^\.\.\.(?:additional frames elided|\d+ frames elided)\.\.\.$/, role: 'strong' },
  { name: 'function line `f(args)`', re: FUNC_LINE, role: 'weak' },
  { name: 'inlined file line `path.go:12`', re: /^\S+\.go:\d+$/, role: 'weak' },
  // gccgo's file lines (no +0x), libgo's C runtime among them: `../../../src/libgo/runtime/proc.c:1076`.
  { name: 'gccgo file line `x.c:12`', re: /^\S+\.(?:c|goc):\d+$/, role: 'weak' },
];

export const goTracebackReader: FormatReader = {
  format: 'go',
  description: 'Go traceback',
  expected: 'a Go traceback ("goroutine 1 [running]:" then frames "main.main()" + "\t/path/main.go:12 +0x1d")',
  shapes: [
    { name: 'goroutine header', re: /^goroutine \d+(?: gp=\S+ m=\S+(?: mp=\S+)?)? \[[^\]]*\]:$/, role: 'head', glues: true },
    { name: 'panic / fatal error', re: /^(?:panic|fatal error): /, role: 'head', glues: true },
    { name: 'signal line', re: /^\[signal (?:SIG[A-Z0-9]+|0x[0-9a-f]+)\b|^SIG[A-Z0-9]+: [a-z][a-z -]*$|^Exception 0x[0-9a-f]+ 0x[0-9a-f]+ /, role: 'head', glues: true },
    { name: '`runtime stack:`', re: /^runtime stack:$/, role: 'head' },
    { name: '`PC=0x..`', re: /^PC=0x[0-9a-f]+(?: m=\d+)?/, role: 'head' },
    { name: 'cgo signal', re: /^signal arrived during cgo execution$/, role: 'strong' },
    { name: 'stack unavailable', re: /^goroutine running on other thread; stack unavailable$/, role: 'strong' },
    { name: 'non-Go function', re: NON_GO, role: 'strong' },
    ...GO_FRAME_SHAPES,
    { name: 'register line', re: REGISTER, role: 'weak' },
    { name: '`pc=0x..`', re: BARE_PC, role: 'weak' },
  ],
  read: (lines, field) => parseGoTraceback(lines, field),
};


function fault(text: string, source: FaultPc['source'], line: number, field: string): FaultPc {
  return { pc: hexAt(text, line, field), source, inputLine: line };
}

// Only numbers that mean the same signal on Linux and Darwin (0xa is SIGBUS on one, SIGUSR1 on the other).
const SIGNAL_NAMES: Record<string, string> = { '0xb': 'SIGSEGV', '0x6': 'SIGABRT', '0x8': 'SIGFPE', '0x4': 'SIGILL' };

function signal(
  name: string,
  description: string | undefined,
  code: string | undefined,
  addr: string | undefined,
  pc: string | undefined,
  line: number,
  field: string,
): SignalInfo {
  // Before Go 1.6 the signal was printed as a number (`[signal 0xb ...]`); 0xc0000005 is Windows.
  const named = name.startsWith('SIG') ? name : (SIGNAL_NAMES[name.toLowerCase()] ?? `signal ${name}`);
  return {
    name: named,
    description: description?.trim() || undefined,
    code,
    addr: addr ? hexAt(addr, line, field) : undefined,
    pc: pc ? hexAt(pc, line, field) : undefined,
    inputLine: line,
  };
}
