import { RawFrame, ThreadTrace } from '../model/crash-report';
import { ResolvedFrame } from '../model/resolved-frame';
import { MergedThread, resolvedOrInput } from './cgo.merger';
import { nameJniMethods } from './jni.merger';

/**
 * merge stage (Android tombstone): every thread keeps its frames in the order printed,
 * each resolved by the BuildId the tombstone gave (normalize looks that up first) or
 * else named as the tombstone named it, with the reason. Android apps crash in JNI
 * code too, so `Java_..` frames get their Java name here as well.
 */
export function mergeTombstoneThreads(threads: ThreadTrace[], resolved: Map<RawFrame, ResolvedFrame>): MergedThread[] {
  return threads.map((t) => {
    const frames = t.frames.map((f) => resolvedOrInput(f, resolved));
    nameJniMethods(frames);
    return { id: t.name ?? `tid ${t.tid ?? '?'}`, tid: t.tid, state: t.state, crashed: t.crashed === true, frames };
  });
}
