import { basename } from 'node:path';
import { FileSource } from './src/adapters/range-source.adapter';
import { readCore } from './src/core/core-file';
import { readElf } from './src/elf/elf-file';
import { loadSegments } from './src/elf/elf-types';
import { layoutFit } from './src/normalize/layout-fit';
import { FileMemory } from './src/unwind/file-memory';
import { KnownGoLayouts } from './src/unwind/go/go-layout';
import { loadUnwindModule, LoadedModule } from './src/unwind/load-module';
import { LayeredMemory } from './src/unwind/memory';
import { unwindCore } from './src/unwind/core-stacks';
import { coreModuleFiles, corePath, CoreName } from './test/support/core-fixtures';
(async () => {
  const name = process.argv[2] as CoreName;
  const src = await FileSource.open(corePath(name));
  const core = await readCore(src, name);
  const files = coreModuleFiles();
  const loaded: LoadedModule[] = [];
  const franges = [];
  for (const f of core.files) {
    const local = files.find((x) => basename(x) === basename(f.path));
    if (!local) continue;
    const fsrc = await FileSource.open(local);
    const info = await readElf(fsrc, local);
    const maps = f.mappings.map((m) => ({ start: m.start, end: m.end, offset: m.offset, perms: m.perms, dev: '', inode: 0, path: f.path, deleted: false, inputLine: 0 }));
    const fit = layoutFit(maps, loadSegments(info));
    if (!fit.fits) { console.log('nofit', f.path, fit.why); continue; }
    loaded.push(await loadUnwindModule(f.path, [{ src: fsrc, name: local }], f.mappings.map((m) => ({ start: m.start, end: m.end })), fit.loadBias));
    for (const m of f.mappings) franges.push({ start: m.start, end: m.end, offset: m.offset, src: fsrc });
  }
  const mem = new LayeredMemory([core.memory, new FileMemory(franges)]);
  const t0 = Date.now();
  const stacks = await unwindCore(core, loaded, mem, { maxFramesPerStack: 512, layouts: new KnownGoLayouts() });
  console.log('ms', Date.now() - t0, stacks.goVersion, stacks.goLayout, stacks.problems);
  const nm = (pc: bigint) => { for (const l of loaded) { if (l.module.ranges.some((r) => r.start <= pc && pc < r.end)) return basename(l.module.path); } return '?'; };
  for (const t of stacks.threads) {
    console.log(`thread ${t.tid} crashed=${t.crashed} sig=${t.signal} g=${t.goroutine?.goid} stopped: ${t.stopped}`);
    t.frames.forEach((f, i) => console.log(`  #${i} 0x${f.pc.toString(16)} sp=0x${f.sp.toString(16)} ${f.addressKind} ${f.method} ${f.goFunction ?? nm(f.pc)}`));
  }
  for (const g of stacks.goroutines) {
    console.log(`goroutine ${g.g.goid} [${g.g.state}] stopped: ${g.stopped}`);
    g.frames.forEach((f, i) => console.log(`  #${i} 0x${f.pc.toString(16)} sp=0x${f.sp.toString(16)} ${f.addressKind} ${f.method} ${f.goFunction ?? nm(f.pc)}`));
  }
})();
