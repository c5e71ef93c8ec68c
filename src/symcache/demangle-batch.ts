import { runTool } from '../adapters/process.adapter';

/**
 * Demangle many names in one llvm-cxxfilt run (one per line in, one per line out): the
 * same LLVM demangler llvm-symbolizer uses, without a process round trip per name.
 * Names with whitespace are not sent (cxxfilt splits lines into words).
 */
export async function demangleBatch(names: string[], binary = 'llvm-cxxfilt', timeoutMs = 300_000): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const send = names.filter((n) => n.length > 0 && !/\s/.test(n));
  if (send.length === 0) return out;
  const run = await runTool(binary, [], { input: `${send.join('\n')}\n`, timeoutMs });
  if (run.code !== 0) throw new Error(`${binary} failed (${run.timedOut ? 'timed out' : run.signal ?? run.code}): ${run.stderr.slice(-300)}`);
  const lines = run.stdout.toString('utf8').split('\n');
  if (lines.length < send.length) throw new Error(`${binary} printed ${lines.length} lines for ${send.length} names`);
  send.forEach((n, i) => out.set(n, lines[i]));
  return out;
}
