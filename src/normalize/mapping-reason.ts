import { Mapping } from '../model/mapping';

export type MappingReasonCode = 'no-mapping' | 'jit' | 'anonymous' | 'vdso' | 'pseudo' | 'anon-named' | 'memfd' | 'deleted';

export interface MappingReason {
  code: MappingReasonCode;
  message: string;
}

/**
 * Why a PC in this mapping cannot be symbolized from a stored file, or undefined when
 * it can. An anonymous executable mapping is JIT code (the JVM's code cache, V8...).
 */
export function mappingReason(m: Mapping | undefined, pc: bigint): MappingReason | undefined {
  const at = `0x${pc.toString(16)}`;
  if (!m) return { code: 'no-mapping', message: `PC ${at} is in no mapping of the maps given` };
  if (m.path === '') {
    return m.perms[2] === 'x'
      ? { code: 'jit', message: `PC ${at} is in an anonymous executable mapping (JIT-compiled code; no file to symbolize from)` }
      : { code: 'anonymous', message: `PC ${at} is in an anonymous, non-executable mapping (heap or data, not code)` };
  }
  if (m.path === '[vdso]' || m.path === '[vsyscall]') {
    return { code: 'vdso', message: `PC ${at} is in the kernel's ${m.path} (not an uploaded file)` };
  }
  if (m.path.startsWith('[anon:')) return { code: 'anon-named', message: `PC ${at} is in the named anonymous mapping ${m.path}` };
  if (m.path.startsWith('[')) return { code: 'pseudo', message: `PC ${at} is in the pseudo-mapping ${m.path}` };
  if (m.path.startsWith('memfd:') || m.path.startsWith('/memfd:')) {
    return { code: 'memfd', message: `PC ${at} is in the in-memory file ${m.path}` };
  }
  if (m.deleted) {
    return { code: 'deleted', message: `PC ${at} is in ${m.path}, deleted while mapped: the maps cannot say which build it was; give its build-id in modules[]` };
  }
  return undefined;
}
