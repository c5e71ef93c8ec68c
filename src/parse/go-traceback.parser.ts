import { Address, parseHex } from '../model/address';
import { CrashReport, FaultPc, GoroutineTrace, RawFrame, SignalInfo } from '../model/crash-report';
import { ParseError } from '../model/errors';
import { clip } from './proc-maps.parser';
import { TextLine } from './text-lines';

/**
 * Go runtime tracebacks (runtime/traceback.go, runtime/signal_unix.go): heads, signal
 * lines, goroutine sections, frame pairs (`func(args)` + `\tfile:line +0xN [fp= sp= pc=]`),
 * `created by`, cgo `non-Go function` frames and the register dump of GOTRACEBACK=crash.
 * Pure: text in, CrashReport out; every piece keeps its input line.
 */

const HEAD = /^(panic|fatal error): (.*)$/;
const SIGNAL_BRACKET =
  /^\[signal (SIG[A-Z0-9]+)(?:: ([^\]]*?))?(?: code=(\S+))?(?: addr=(0x[0-9a-f]+))?(?: pc=(0x[0-9a-f]+))?\]$/i;
const SIGNAL_LINE = /^(SIG[A-Z0-9]+): (.+)$/;
const PC_LINE = /^PC=(0x[0-9a-f]+)(?: m=(\d+))?(?: sigcode=(\S+))?(?: addr=(0x[0-9a-f]+))?/i;
const GOROUTINE = /^goroutine (\d+)(?: gp=\S+ m=\S+(?: mp=\S+)?)? \[([^\]]*)\]:\s*$/;
const FUNC_LINE = /^(\S.*?)(\((?:[^()]|\([^()]*\))*\))$/;
const FILE_LINE = /^\s+(.+?):(\d+)(?: \+(0x[0-9a-f]+))?(?: fp=(0x[0-9a-f]+) sp=(0x[0-9a-f]+) pc=(0x[0-9a-f]+))?\s*$/i;
const CREATED_BY = /^created by (\S+?)(?: in goroutine (\d+))?\s*$/;
const REGISTER = /^(r[a-z0-9]+|rip|rflags|cs|fs|gs|pc|lr|sp|fault|[re]?[abcd]x|[re]?[sd]i|[re]?[sb]p|eip|eflags)\s+(0x[0-9a-f]+)\s*$/i;
const NON_GO = /^non-Go function\s*$/;
const BARE_PC = /^\s+pc=(0x[0-9a-f]+)\s*$/i;

export function parseGoTraceback(lines: TextLine[], field = 'traceback'): CrashReport {
  const report: CrashReport = { inCgo: false, goroutines: [], registers: {}, mappings: [] };
  let current: GoroutineTrace | undefined;
  let pendingFrame: RawFrame | undefined;
  let pendingCreatedBy = false;
  let afterSigpanic = false;

  const finishFrame = () => {
    if (pendingFrame && current) current.frames.push(pendingFrame);
    pendingFrame = undefined;
  };

  for (const line of lines) {
    const text = line.text.replace(/\s+$/, '');
    if (text === '') {
      finishFrame();
      continue;
    }

    let m: RegExpExecArray | null;
    if ((m = HEAD.exec(text)) && !report.headline) {
      report.headline = { text, inputLine: line.no };
      continue;
    }
    if ((m = SIGNAL_BRACKET.exec(text))) {
      report.signal = signal(m[1], m[2], m[3], m[4], m[5], line.no);
      if (m[5]) report.fault = fault(m[5], 'signal-pc', line.no, field);
      continue;
    }
    if ((m = SIGNAL_LINE.exec(text)) && !current) {
      report.signal = { ...report.signal, name: m[1], description: m[2], inputLine: line.no };
      continue;
    }
    if ((m = PC_LINE.exec(text))) {
      report.fault = fault(m[1], 'PC=', line.no, field);
      report.signal = {
        name: report.signal?.name ?? 'unknown signal',
        ...report.signal,
        code: m[3] ?? report.signal?.code,
        addr: m[4] ? hex(m[4], line.no, field) : report.signal?.addr,
        pc: report.fault.pc,
        inputLine: report.signal?.inputLine ?? line.no,
      };
      continue;
    }
    if (text.includes('signal arrived during cgo execution')) {
      report.inCgo = true;
      continue;
    }
    if ((m = GOROUTINE.exec(text)) || text === 'runtime stack:') {
      finishFrame();
      current = m
        ? { id: Number(m[1]), state: m[2].split(',')[0].trim(), inputLine: line.no, frames: [] }
        : { id: -1, state: 'runtime stack', system: true, inputLine: line.no, frames: [] };
      report.goroutines.push(current);
      afterSigpanic = false;
      pendingCreatedBy = false;
      continue;
    }
    if ((m = REGISTER.exec(text))) {
      finishFrame();
      report.registers[m[1].toLowerCase()] = hex(m[2], line.no, field);
      current = undefined;
      continue;
    }
    if (!current) continue; // text around the trace is tolerated

    if ((m = CREATED_BY.exec(text))) {
      finishFrame();
      current.createdBy = { function: m[1], goroutine: m[2] ? Number(m[2]) : undefined };
      pendingCreatedBy = true;
      continue;
    }
    if (text.startsWith('...additional frames elided...')) {
      finishFrame();
      current.framesElided = true;
      continue;
    }
    if (NON_GO.test(text)) {
      finishFrame();
      pendingFrame = { kind: 'native', addressKind: 'return', inputLine: line.no };
      continue;
    }
    if ((m = BARE_PC.exec(text)) && pendingFrame?.kind === 'native') {
      pendingFrame.pc = hex(m[1], line.no, field);
      finishFrame();
      continue;
    }
    if ((m = FILE_LINE.exec(line.text))) {
      if (pendingCreatedBy && current.createdBy) {
        current.createdBy.file = m[1];
        current.createdBy.line = Number(m[2]);
        pendingCreatedBy = false;
      } else if (pendingFrame) {
        pendingFrame.file = m[1];
        pendingFrame.line = Number(m[2]);
        if (m[3]) pendingFrame.entryOffset = hex(m[3], line.no, field);
        if (m[6]) pendingFrame.pc = hex(m[6], line.no, field);
        finishFrame();
      }
      continue;
    }
    if ((m = FUNC_LINE.exec(text)) || /^\S+\(\.\.\.\)$/.test(text)) {
      finishFrame();
      const fn = m ? m[1] : text.slice(0, -5);
      // Go's own rule (traceback.go): the frame after sigpanic faulted at its pc exactly.
      pendingFrame = {
        kind: 'go',
        function: fn,
        args: m ? m[2] : '(...)',
        addressKind: afterSigpanic ? 'exact' : 'return',
        inputLine: line.no,
      };
      afterSigpanic = fn === 'runtime.sigpanic';
      continue;
    }
  }
  finishFrame();

  if (!report.fault) {
    const reg = report.registers.rip ?? report.registers.pc;
    if (reg !== undefined && report.signal) {
      const inputLine = report.signal.inputLine;
      report.fault = { pc: reg, source: 'register', inputLine };
    }
  }
  if (report.goroutines.length === 0 || report.goroutines.every((g) => g.frames.length === 0)) {
    const first = lines.find((l) => l.text.trim() !== '');
    throw new ParseError(
      `${field} holds no Go stack frames: expected a goroutine header like "goroutine 1 [running]:" ` +
        `followed by frames ("main.main()" then "\\t/path/main.go:12 +0x1d")` +
        (first ? `; line ${first.no} reads "${clip(first.text.trim())}"` : '; the text is empty'),
      { line: first?.no ?? 1, field },
    );
  }
  return report;
}

function hex(text: string, line: number, field: string): Address {
  try {
    return parseHex(text);
  } catch {
    throw new ParseError(`${field} line ${line}: "${clip(text)}" is not a 64-bit hex address`, { line, field });
  }
}

function fault(text: string, source: FaultPc['source'], line: number, field: string): FaultPc {
  return { pc: hex(text, line, field), source, inputLine: line };
}

function signal(
  name: string,
  description: string | undefined,
  code: string | undefined,
  addr: string | undefined,
  pc: string | undefined,
  line: number,
): SignalInfo {
  return {
    name,
    description: description?.trim() || undefined,
    code,
    addr: addr ? parseHex(addr) : undefined,
    pc: pc ? parseHex(pc) : undefined,
    inputLine: line,
  };
}
