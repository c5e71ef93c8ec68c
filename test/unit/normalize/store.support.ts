import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { SymbolStore } from '../../../src/symbol-store/symbol-store.service';
import { writeToTempFile } from '../../../src/symbol-store/temp-file.writer';

/** A real SymbolStore in a temp folder holding the given files (as CI would upload them). */
export async function storeWith(files: string[]): Promise<{ store: SymbolStore; ids: string[]; dispose: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'symbridge-normalize-'));
  const store = new SymbolStore(root);
  await store.init();
  const ids: string[] = [];
  for (const f of files) {
    const written = await writeToTempFile(createReadStream(f), store.tempPath(), 1 << 30, basename(f));
    ids.push((await store.ingest(written, basename(f))).meta.build_id);
  }
  return { store, ids, dispose: () => rm(root, { recursive: true, force: true }) };
}
