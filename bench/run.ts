import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { benchResolve, resolveModules } from './resolve.bench';
import { benchHttp } from './http.bench';
import { benchParse } from './parse.bench';
import { benchUpload } from './upload.bench';
import { benchMemory } from './memory.bench';
import { benchElf } from './elf.bench';
import { benchStores } from './stores.bench';
import { benchCore } from './core.bench';
import { benchSymcache } from './symcache.bench';
import { debugFiles, goBinary, libjvm } from './lib/modules';
import { Report } from './lib/report';
import { machine } from './lib/machine';

/**
 * `npm run bench [-- SECTION... --quick --n=N --out=FILE]`: every figure beside a
 * baseline measured in this same run. Sections: resolve http scale parse upload memory elf stores core symcache.
 */
const ALL = ['resolve', 'http', 'scale', 'parse', 'upload', 'memory', 'elf', 'stores', 'core', 'symcache'];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const quick = args.includes('--quick');
  const picked = args.filter((a) => !a.startsWith('--'));
  const sections = picked.length ? picked : ALL;
  for (const s of sections) if (!ALL.includes(s)) throw new Error(`unknown section ${s}; choose from ${ALL.join(' ')}`);
  const report = new Report();
  const m = machine();
  process.stdout.write(`${m.join('\n')}\n${quick ? 'QUICK mode (small sizes, for development)\n' : ''}\n`);

  if (sections.includes('resolve')) {
    const mods = resolveModules();
    if (mods.length === 0) report.note('resolve: no libjvm.so debug file and no Go binary; run bash bench/setup.sh');
    await benchResolve(report, mods, { n: Number(flag('n') ?? (quick ? 500 : 20_000)), window: 256, addr2lineLimitMs: quick ? 60_000 : 300_000 });
  }

  if (sections.includes('http') || sections.includes('scale')) {
    await benchHttp(report, {
      seconds: quick ? 3 : 15,
      maxRequests: quick ? 2_000 : 50_000,
      levels: [1, 8, 32],
      http: sections.includes('http'),
      scale: sections.includes('scale'),
    });
  }

  if (sections.includes('parse')) benchParse(report, quick ? [0.25, 0.5, 1] : [1, 2, 4, 8, 10]);

  if (sections.includes('upload')) await benchUpload(report, quick ? 50 : 500);
  if (sections.includes('memory')) await benchMemory(report, quick ? 20 : 200);
  if (sections.includes('stores')) {
    await benchStores(report, {
      seconds: quick ? 3 : 10,
      maxRequests: quick ? 2_000 : 50_000,
      clients: 32,
      workers: [1, 2, 4],
      moduleMb: quick ? 50 : 200,
    });
  }
  if (sections.includes('elf')) {
    const candidates = [libjvm(), goBinary(), ...debugFiles(0).slice(0, 2)].filter((m): m is NonNullable<typeof m> => m !== undefined);
    benchElf(report, candidates.filter((m, i) => candidates.findIndex((o) => o.path === m.path) === i));
  }

  if (sections.includes('symcache')) {
    const mods = [libjvm()].filter((m): m is NonNullable<typeof m> => m !== undefined);
    if (mods.length === 0) report.note('symcache: no libjvm.so debug file; run bash bench/setup.sh');
    await benchSymcache(report, mods, { n: quick ? 2_000 : 20_000, longRun: quick ? 100_000 : 1_000_000 });
  }
  if (sections.includes('core')) await benchCore(report, quick ? ['go-exe-kernel'] : ['go-exe-gdb', 'go-exe-kernel']);

  const md = `${m.map((l) => `- ${l}`).join('\n')}\n- command: \`npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}\`\n\n${report.markdown()}`;
  process.stdout.write(`\n${md}`);
  const out = flag('out');
  if (out) writeFileSync(out, md);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
