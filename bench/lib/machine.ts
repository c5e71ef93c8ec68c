import { cpus, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import { sh } from './proc';

/** What the numbers were measured on (they mean little without it). */
export function machine(): string[] {
  const tryRead = (f: string) => {
    try {
      return readFileSync(f, 'utf8').trim();
    } catch {
      return '?';
    }
  };
  const llvm = (() => {
    try {
      return /LLVM version (\S+)/.exec(sh('llvm-symbolizer', ['--version']))?.[1] ?? '?';
    } catch {
      return 'not installed';
    }
  })();
  const load = tryRead('/proc/loadavg').split(' ').slice(0, 3).join(' ');
  return [
    `machine: ${cpus().length} CPUs (nproc), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${cpus()[0]?.model ?? '?'}`,
    `os: Debian ${tryRead('/etc/debian_version')}, kernel ${tryRead('/proc/sys/kernel/osrelease')}`,
    `node ${process.version}, llvm-symbolizer ${llvm}`,
    `load average at start: ${load} (the machine is shared: other processes were running)`,
  ];
}
