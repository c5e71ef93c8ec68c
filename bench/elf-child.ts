import { FileSource } from '../src/adapters/range-source.adapter';
import { readElf } from '../src/elf/elf-file';
import { memOf } from './lib/proc';
import { nowMs } from './lib/stats';

/**
 * One ELF read in a fresh process (so VmHWM is this file's peak alone): headers,
 * sections and notes by range, never the whole file. Prints JSON: ms, peak RSS growth.
 */
async function main(): Promise<void> {
  const path = process.argv[2];
  global.gc?.();
  const before = memOf(process.pid)!;
  const t0 = nowMs();
  const src = await FileSource.open(path);
  const info = await readElf(src, path);
  await src.close();
  const ms = nowMs() - t0;
  const after = memOf(process.pid)!;
  process.stdout.write(
    JSON.stringify({ ms, peakGrowth: after.hwm - before.rss, sections: info.sections.length, buildId: info.gnuBuildId ?? info.goBuildId }),
  );
}

void main();
