import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CliError } from './args';

/** The four bytes every ELF file starts with. */
const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

export interface UploadList {
  files: string[];
  /** Files found in a directory that are not ELF (sources, READMEs): not sent, named in a note. */
  skipped: string[];
}

/**
 * What `upload ARGS...` sends: each named file as given (the server says why a non-ELF
 * one is refused), and for each directory the ELF files under it, recursively, in a
 * stable order. Symbolic links inside a directory are not followed (no loops).
 */
export async function uploadList(args: string[]): Promise<UploadList> {
  const out: UploadList = { files: [], skipped: [] };
  for (const arg of args) {
    const st = await stat(arg).catch((e: NodeJS.ErrnoException) => {
      throw new CliError(`cannot read ${arg}: ${e.code === 'ENOENT' ? 'no such file or directory' : e.message}`);
    });
    if (st.isDirectory()) await walk(arg, out);
    else out.files.push(arg);
  }
  return out;
}

async function walk(dir: string, out: UploadList): Promise<void> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) await walk(path, out);
    else if (e.isFile()) (await isElf(path) ? out.files : out.skipped).push(path);
  }
}

async function isElf(path: string): Promise<boolean> {
  const fh = await open(path, 'r').catch(() => undefined);
  if (!fh) return false;
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    return bytesRead === 4 && head.equals(ELF_MAGIC);
  } finally {
    await fh.close();
  }
}
