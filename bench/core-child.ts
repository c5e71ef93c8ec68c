import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { CorePipeline } from '../src/pipeline/core.pipeline';
import { Demangler } from '../src/resolve/demangler';
import { FrameResolver } from '../src/resolve/frame-resolver';
import { LlvmSymbolizerPool } from '../src/resolve/llvm-symbolizer.pool';
import { LlvmSymbolizerResolver } from '../src/resolve/llvm-symbolizer.resolver';
import { SymbolStore } from '../src/symbol-store/symbol-store.service';
import { writeToTempFile } from '../src/symbol-store/temp-file.writer';
import { childrenOf, commOf, memOf } from './lib/proc';

/**
 * One core through the worker's core pipeline in a fresh process: argv[2] the core,
 * argv[3] a JSON list of module files (stored before the clock starts, as CI would
 * have uploaded them). Prints time, frames, and the peak RSS of this process and of
 * its llvm-symbolizer children.
 */
async function main(): Promise<void> {
  const core = process.argv[2];
  const files = JSON.parse(process.argv[3]) as string[];
  const root = await mkdtemp(join(tmpdir(), 'symbridge-bench-core-'));
  const store = new SymbolStore(root);
  await store.init();
  for (const f of files) await store.ingest(await writeToTempFile(createReadStream(f), store.tempPath(), 1 << 30, basename(f)), basename(f));
  const pool = new LlvmSymbolizerPool({ binary: 'llvm-symbolizer', processes: 2, timeoutMs: 300_000 });
  const resolver = new FrameResolver(new LlvmSymbolizerResolver(pool), new Demangler());
  const before = memOf(process.pid)!.hwm;
  const t0 = process.hrtime.bigint();
  const stack = await new CorePipeline(store, resolver).run({ corePath: core, coreName: basename(core) });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const kids = childrenOf(process.pid).filter((p) => commOf(p) === 'llvm-symbolizer').map((p) => memOf(p)?.hwm ?? 0);
  const frames = stack.threads.reduce((n, t) => n + t.frames.length, 0);
  const named = stack.threads.reduce((n, t) => n + t.frames.filter((f) => f.source !== 'unresolved').length, 0);
  process.stdout.write(`${JSON.stringify({ ms, node: memOf(process.pid)!.hwm, nodeBefore: before, children: kids, threads: stack.threads.length, frames, named })}\n`);
  pool.close();
  resolver.close();
  await rm(root, { recursive: true, force: true });
}

void main();
