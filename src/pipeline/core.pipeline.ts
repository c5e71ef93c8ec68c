import { FileSource, RangeSource, SyncFileSource } from '../adapters/range-source.adapter';
import { goBuildIdKey } from '../elf/elf-types';
import { GoroutineTrace, RawFrame } from '../model/crash-report';
import { Mapping } from '../model/mapping';
import { Diagnostic, UnifiedStack } from '../model/unified-stack';
import { MergedThread, resolvedOrInput } from '../merge/cgo.merger';
import { basename } from '../normalize/find-mapping';
import { ModuleHint, ModuleIdentifier } from '../normalize/module-identity';
import { readCoreReport, signalName } from '../parse/core.reader';
import { parseInput } from '../parse/parse-input';
import { renderJson } from '../render/json.renderer';
import { FrameResolver } from '../resolve/frame-resolver';
import { SymbolStore } from '../symbol-store/symbol-store.service';
import { CoreStacks, unwindCore } from '../unwind/core-stacks';
import { FileMemory, FileRange } from '../unwind/file-memory';
import { GoLayoutSource } from '../unwind/go/go-layout';
import { GoLayouts } from '../unwind/go/go-layout-dwarf';
import { LoadedModule, loadUnwindModule } from '../unwind/load-module';
import { LayeredMemory } from '../unwind/memory';
import { UnwoundFrame } from '../unwind/unwinder';
import { resolveFrames } from './resolve-frames';
import { inputNoteDiagnostics, Progress } from './symbolicate.pipeline';

export interface CoreRequest {
  /** The core on disk (tests, tools) ... */
  corePath?: string;
  /** ... or opened by range from the store (the worker: a file on fs, ranged GETs on S3). */
  open?: () => Promise<RangeSource>;
  /** Its name as uploaded, for messages. */
  coreName: string;
  /** A Go traceback of the same crash: goroutine states and wait reasons, merged by goroutine id. */
  traceback?: string;
  modules?: ModuleHint[];
  /** The API's notes on how the traceback's bytes were decoded. */
  input_notes?: string[];
}

export interface CoreLimits {
  maxFramesPerStack: number;
}

/**
 * The pipeline for a core file: read (notes, mappings) -> identify each mapped file
 * in the store (build-id from the core's first pages, else name + layout) ->
 * unwind every thread and goroutine -> resolve every frame (the same normalize +
 * resolve as text) -> one thread per LWP, crashed first, then the goroutines no
 * thread was running -> render. Whatever cannot be done is a diagnostic.
 */
export class CorePipeline {
  constructor(
    private readonly store: SymbolStore,
    private readonly resolver: FrameResolver,
    private readonly limits: CoreLimits = { maxFramesPerStack: 1024 },
    private readonly layouts: GoLayoutSource = new GoLayouts(),
  ) {}

  async run(request: CoreRequest, progress: Progress = () => undefined): Promise<UnifiedStack> {
    progress('parse', 0, 1);
    if (!request.open && !request.corePath) throw new Error('CoreRequest needs corePath or open');
    const src = request.open ? await request.open() : await FileSource.open(request.corePath!);
    const opened: RangeSource[] = [];
    try {
      const { report, core } = await readCoreReport(src, request.coreName);
      const diagnostics: Diagnostic[] = [
        ...inputNoteDiagnostics(request.input_notes),
        ...core.problems.map((message): Diagnostic => ({ level: 'warning', code: 'core-problem', message })),
      ];
      diagnostics.push({
        level: 'info',
        code: 'format-detected',
        message: `core_dump: ELF core of ${core.psinfo?.fname ?? 'a process'}${core.psinfo ? ` (pid ${core.psinfo.pid}, ${JSON.stringify(core.psinfo.psargs)})` : ''}, ${core.threads.length} thread(s), ${core.files.length} mapped file(s)`,
      });

      // Which stored file is each mapped file: by the build-id the core itself holds, else by name and layout.
      progress('normalize', 0, core.files.length);
      const identifier = new ModuleIdentifier(this.store);
      const hints = request.modules ?? [];
      const loaded: LoadedModule[] = [];
      const fileRanges: FileRange[] = [];
      const buildIdOf = new Map<string, string>();
      for (const f of core.files) {
        const mappings = report.mappings.filter((m) => m.path === f.path || `${m.path} (deleted)` === f.path);
        const coreId = f.gnuBuildId ?? (f.goBuildId ? goBuildIdKey(f.goBuildId) : undefined);
        const id = await identifier.identify(mappings[0]?.path ?? f.path, mappings, hints, coreId);
        if (id.status !== 'found') continue;
        buildIdOf.set(mappings[0]?.path ?? f.path, id.buildId);
        const exe = await this.store.layoutFile(id.buildId);
        const paths = [...new Set([exe, id.symbolFile].filter((p): p is string => !!p))];
        const files = [];
        for (const p of paths) {
          const s = SyncFileSource.open(p);
          opened.push(s);
          files.push({ src: s, name: basename(f.path) });
        }
        const bias = id.loadBias ?? biasFrom(mappings, id.layout.programHeaders);
        try {
          loaded.push(await loadUnwindModule(f.path, files, f.mappings.map((m) => ({ start: m.start, end: m.end })), bias));
        } catch (err) {
          diagnostics.push({ level: 'warning', code: 'unwind-info-unreadable', message: `${f.path}: its unwind tables could not be read (${(err as Error).message}); frames in it are walked by frame pointer` });
        }
        // The executable's bytes stand in for the text pages the kernel did not dump.
        if (exe) {
          const exeSrc = files[paths.indexOf(exe)].src;
          for (const m of f.mappings) fileRanges.push({ start: m.start, end: m.end, offset: m.offset, src: exeSrc });
        }
      }
      progress('normalize', core.files.length, core.files.length);

      const memory = new LayeredMemory([core.memory, new FileMemory(fileRanges)]);
      const stacks = await unwindCore(core, loaded, memory, { maxFramesPerStack: this.limits.maxFramesPerStack, layouts: this.layouts });
      for (const message of stacks.problems) diagnostics.push({ level: 'warning', code: 'go-runtime', message });
      if (stacks.goLayout) diagnostics.push({ level: 'info', code: 'go-runtime', message: `${stacks.goVersion ?? 'Go'}: g and m read with the ${stacks.goLayout}; ${stacks.goroutines.length + stacks.threads.filter((t) => t.goroutine).length} goroutine(s)` });

      const text = request.traceback?.trim() ? parseInput({ traceback: request.traceback }).report.goroutines : [];
      const registersOf = new Map(core.threads.map((t) => [t.tid, t.registers]));
      const threads = this.assemble(stacks, text, buildIdOf, report.mappings, diagnostics, registersOf);
      const all = threads.flatMap((t) => t.raw);
      const { resolved, modules } = await resolveFrames(all, report.mappings, hints, identifier, this.resolver, diagnostics, progress);

      progress('merge', 0, 1);
      const merged: MergedThread[] = threads.map((t) => ({ ...t.thread, frames: t.raw.map((f) => resolvedOrInput(f, resolved)) }));
      progress('render', 0, 1);
      if (report.signal && core.threads[core.crashed].signal !== 0) report.signal.pc = core.threads[core.crashed].registers.rip;
      return renderJson(report, merged, modules, dedupe(diagnostics));
    } finally {
      await src.close();
      for (const s of opened) await s.close().catch(() => undefined);
    }
  }

  /** Threads (crashed first) then goroutines, as raw frames; the Go traceback, when given, names states and wait reasons. */
  private assemble(
    stacks: CoreStacks,
    text: GoroutineTrace[],
    buildIdOf: Map<string, string>,
    mappings: Mapping[],
    diagnostics: Diagnostic[],
    registersOf: Map<number, Record<string, bigint>>,
  ): { thread: Omit<MergedThread, 'frames'>; raw: RawFrame[] }[] {
    const out: { thread: Omit<MergedThread, 'frames'>; raw: RawFrame[] }[] = [];
    const printed = new Map(text.filter((g) => !g.system).map((g) => [g.id, g]));
    const stateOf = (goid: number, own: string) => printed.get(goid)?.state ?? own;
    const raw = (f: UnwoundFrame): RawFrame => {
      const m = mappings.find((x) => x.start <= f.pc && f.pc < x.end);
      return {
        kind: f.goFunction ? 'go' : 'native',
        pc: f.pc,
        sp: f.sp,
        addressKind: f.addressKind,
        unwind: f.method,
        buildId: m ? buildIdOf.get(m.path) : undefined,
        inputLine: 0,
      };
    };
    for (const t of stacks.threads) {
      const goid = t.goroutine?.goid;
      const registers = registersOf.get(t.tid);
      const note = t.complete ? undefined : t.stopped;
      if (note) diagnostics.push({ level: 'warning', code: 'unwind-incomplete', message: `thread ${t.tid}: the walk stopped after ${t.frames.length} frame(s): ${t.stopped}` });
      out.push({
        thread: {
          id: `thread ${t.tid}`,
          name: goid !== undefined ? `goroutine ${goid}` : undefined,
          tid: t.tid,
          goroutine: goid,
          state: t.crashed ? `crashed (${signalName(t.signal)})` : goid !== undefined ? stateOf(goid, t.goroutine!.state) : 'stopped',
          crashed: t.crashed,
          unwindStopped: note,
          registers,
        },
        raw: t.frames.map(raw),
      });
    }
    for (const g of stacks.goroutines) {
      const note = g.complete ? undefined : g.stopped;
      out.push({
        thread: { id: `goroutine ${g.g.goid}`, goroutine: g.g.goid, state: stateOf(g.g.goid, g.g.state), crashed: false, unwindStopped: note },
        raw: g.frames.map(raw),
      });
    }
    if (printed.size > 0) {
      const inCore = new Set([...stacks.goroutines.map((g) => g.g.goid), ...stacks.threads.flatMap((t) => (t.goroutine ? [t.goroutine.goid] : []))]);
      const onlyText = [...printed.keys()].filter((id) => !inCore.has(id));
      if (onlyText.length > 0) diagnostics.push({ level: 'warning', code: 'traceback-mismatch', message: `the traceback names goroutine(s) ${onlyText.slice(0, 20).join(', ')} that the core does not hold: is it of the same crash?` });
    }
    return out;
  }
}

/** The load bias from a mapping whose file offset falls in a PT_LOAD (when no layout fit computed it). */
function biasFrom(mappings: Mapping[], phdrs: { type: number; offset: bigint; vaddr: bigint; filesz: bigint }[]): bigint {
  for (const m of mappings) {
    const s = phdrs.find((p) => p.type === 1 && p.offset <= m.offset && m.offset < p.offset + (p.filesz || 1n));
    if (s) return m.start - (m.offset - s.offset + s.vaddr);
  }
  return 0n;
}

function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const k = `${d.code}\0${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
