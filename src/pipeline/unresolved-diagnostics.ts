import { RawFrame } from '../model/crash-report';
import { ResolvedFrame } from '../model/resolved-frame';
import { Diagnostic } from '../model/unified-stack';
import { NormalizedPc } from '../normalize/normalizer';

/**
 * What could not be resolved, said once per cause: every frame in a module that is
 * missing, ambiguous or a mismatch shares one diagnostic (with how many frames and the
 * first input line); other causes (a pc in no mapping, JIT code, no symbol there) are
 * said per frame, since each frame has its own.
 */
export function unresolvedDiagnostics(pcs: NormalizedPc[], resolved: Map<RawFrame, ResolvedFrame>): Diagnostic[] {
  const out: Diagnostic[] = [];
  const byModule = new Map<string, { frames: NormalizedPc[]; reason: string }>();
  for (const n of pcs) {
    const r = resolved.get(n.frame);
    if (!r || (r.symbol && r.symbol.source !== 'hs-err')) continue;
    if (n.reasonCode?.startsWith('module-') && n.module) {
      const key = `${n.module}\0${n.reasonCode}`;
      const g = byModule.get(key) ?? { frames: [], reason: r.reason ?? n.reason ?? 'unresolved' };
      g.frames.push(n);
      byModule.set(key, g);
      continue;
    }
    const where = n.frame.pc !== undefined ? `PC 0x${n.frame.pc.toString(16)}` : `${n.frame.module ?? '?'}+0x${n.frame.moduleOffset?.toString(16) ?? '?'}`;
    out.push({
      // A frame the input already named (hs_err, tombstone) keeps that name: less to worry about.
      level: n.frame.function ? 'info' : 'warning',
      code: 'frame-unresolved',
      message: `${where}${n.module && n.frame.pc !== undefined ? ` in ${n.module}` : ''}${n.frame.function ? ` (${n.frame.function} in the input)` : ''}: ${r.reason}`,
      input_line: n.frame.inputLine,
    });
  }
  for (const [key, g] of byModule) {
    const module = key.split('\0')[0];
    const named = g.frames.filter((n) => n.frame.function).length;
    out.push({
      level: named === g.frames.length ? 'info' : 'warning',
      code: 'frame-unresolved',
      message:
        `${g.frames.length} frame(s) in ${module} unresolved` +
        (named > 0 ? ` (${named} keep the name the input printed)` : '') +
        `: ${g.reason}`,
      input_line: g.frames[0].frame.inputLine,
    });
  }
  return out;
}
