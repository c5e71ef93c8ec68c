import { writeFileSync } from 'node:fs';
import { demangleBatch } from './demangle-batch';
import { buildSymcache } from './symcache-builder';

/**
 * Child process of a symcache build (symcache-build.ts forks it with a heap cap): DWARF
 * that lies may make the builder throw or run out of memory, and either ends here, not
 * in a worker. argv: <elf file> <symcache out>; the result goes back over IPC.
 */
async function main(): Promise<void> {
  const [path, out] = process.argv.slice(2);
  const { bytes, stats } = await buildSymcache(path, { demangle: (names) => demangleBatch(names) });
  writeFileSync(out, bytes);
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  process.send!({ ok: true, stats: { ...stats, peakRssMb } });
}

main().then(
  () => process.disconnect(),
  (err: Error) => {
    process.send!({ ok: false, error: err.message.slice(0, 500) }, () => process.exit(1));
  },
);
