import { CrashReport, RawFrame, ThreadTrace } from '../model/crash-report';
import { ResolvedFrame } from '../model/resolved-frame';
import { Diagnostic } from '../model/unified-stack';
import { MergedThread, resolvedOrInput } from './cgo.merger';
import { decodeJniName, javaMethodName } from './jni-name';

/**
 * merge stage (JVM): the hs_err current thread as the JVM printed it (native C frames
 * resolved in their libraries, j/J Java frames and V/v VM frames kept with their kind
 * and names), JNI native methods also named as Java names them, and, when the same
 * paste holds the Go traceback of a Go c-shared library, that goroutine's Go frames
 * between the native frames and the Java caller.
 */
export function mergeJvmThreads(
  report: CrashReport,
  threads: ThreadTrace[],
  resolved: Map<RawFrame, ResolvedFrame>,
  goThreads: MergedThread[],
  diagnostics: Diagnostic[],
): { jvm: MergedThread[]; spliced?: MergedThread } {
  const jvm: MergedThread[] = [];
  let spliced: MergedThread | undefined;
  for (const t of threads) {
    let raw = t.frames;
    // Native frames printed alone (the walk stopped at the cgo stack switch, or the native
    // section was cut): the `Java frames:` section still says who called.
    const info = report.hsErr;
    if (t.crashed && info && info.javaFrames.length > 0 && !raw.some((f) => f.kind === 'java')) raw = [...raw, ...info.javaFrames];
    let frames = raw.map((f) => resolvedOrInput(f, resolved));

    const goroutine = t.crashed ? goThreads.find((g) => g.crashed) ?? goThreads.find((g) => g.id.startsWith('goroutine')) : undefined;
    if (goroutine) {
      frames = spliceGo(frames, goroutine);
      spliced = goroutine;
      diagnostics.push({
        level: 'info',
        code: 'go-frames-spliced',
        message: `the Go frames of ${goroutine.id} (Go traceback in the same input) are shown in ${t.name ?? 'the crashed JVM thread'} between its native frames and its Java caller`,
        input_line: t.inputLine,
      });
    }
    nameJniMethods(frames);
    jvm.push({ id: t.name ?? `tid ${t.tid ?? '?'}`, tid: t.tid, state: t.state, crashed: t.crashed === true, frames });
  }
  return { jvm, spliced };
}

/**
 * Go code in a JVM is entered through a JNI export (`Java_..`, a Go function) and calls C
 * through cgo; HotSpot's frame-pointer walk stops at cgo's stack switch, so its native
 * frames are the C ones on top. The goroutine's Go frames go under them (the native
 * frames Go itself put on the goroutine are the same C frames: not repeated), and the
 * Java frames stay at the bottom.
 */
function spliceGo(frames: ResolvedFrame[], goroutine: MergedThread): ResolvedFrame[] {
  const goFrames = goroutine.frames.filter((f) => f.raw.kind === 'go');
  const goNames = new Set(goFrames.map((f) => f.symbol?.function).filter((n) => n));
  const firstJava = frames.findIndex((f) => f.raw.kind === 'java' || f.raw.kind === 'jvm');
  const cut = firstJava < 0 ? frames.length : firstJava;
  const top = frames.slice(0, cut).filter((f) => !(f.symbol?.function && goNames.has(f.symbol.function)));
  return [...top, ...goFrames, ...frames.slice(cut)];
}

/**
 * `Java_Crash_run` -> `Crash.run(I)I`: the JNI name gives class and method (and the
 * argument descriptor of an overloaded method); the interpreted frame of the native
 * method itself, printed right under it by hs_err, gives the full descriptor.
 */
export function nameJniMethods(frames: ResolvedFrame[]): void {
  frames.forEach((f, i) => {
    if (f.raw.kind === 'java') return;
    const below = frames.slice(i + 1).find((g) => g.raw.kind === 'java');
    const caller = below?.symbol?.function ?? below?.raw.function;
    const name = f.symbol?.function ?? f.raw.function;
    if (name) f.javaMethod = javaNameOf(name, f.raw.kind === 'go', caller);
    // A Go export inlined into cgo's `_cgoexp_..` wrapper is named in the inline chain (a copy: symbols are cached).
    if (f.symbol && f.symbol.inlined.some((c) => javaNameOf(c.function, true, caller))) {
      const inlined = f.symbol.inlined.map((c) => ({ ...c, java_method: javaNameOf(c.function, true, caller) }));
      f.symbol = { ...f.symbol, inlined };
    }
  });
}

/** `Java_Crash_run` (or Go's `main.Java_Crash_run`) as Java names it; the interpreted caller's name gives the full descriptor. */
function javaNameOf(name: string, go: boolean, caller: string | undefined): string | undefined {
  const jni = decodeJniName(go ? name.replace(/^.*\.(?=Java(?:Critical)?_)/, '') : name);
  if (!jni) return undefined;
  const plain = javaMethodName(jni, '');
  const desc = caller?.startsWith(`${plain}(`) ? caller.slice(plain.length) : undefined;
  // An overloaded name's own descriptor wins if the frame below is another overload.
  return desc && (jni.args === undefined || desc.startsWith(`(${jni.args})`)) ? `${plain}${desc}` : javaMethodName(jni);
}
