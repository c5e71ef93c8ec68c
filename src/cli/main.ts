#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { parseArgs, CliError } from './args';
import { SymbridgeClient } from './client';
import { uploadList } from './elf-files';
import { humanSize, oneLine, ProgressBar, table } from './progress';

const USAGE = `usage: symbridge <command> [options]

  symbolicate [FILE|-]   symbolicate a crash paste (Go traceback + /proc/PID/maps) from FILE or stdin;
                         prints the readable stack (--json: the JSON result); --wait SECONDS (default 30)
  upload FILE|DIR...     upload debug files (executables, shared libraries, debug files) to the store;
                         a DIR is searched recursively for ELF files (other files are skipped, with a note)
  status JOBID           state, progress and result of a job (--json for the raw job)
  help                   this text (also --help, -h)

options: --url URL (or SYMBRIDGE_URL; default http://localhost:3000)
environment: SYMBRIDGE_TOKEN, the bearer token (upload scope to upload; the token a job was submitted with reads it)`;

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv, ['url', 'wait']);
  const [command, ...rest] = args.positional;
  if (args.flags.help || args.flags.h || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!command) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const url = String(args.flags.url ?? process.env.SYMBRIDGE_URL ?? 'http://localhost:3000').replace(/\/+$/, '');
  const client = new SymbridgeClient(url, process.env.SYMBRIDGE_TOKEN || undefined);
  const json = args.flags.json === true;
  switch (command) {
    case 'symbolicate':
      return symbolicate(client, rest[0] ?? '-', json, Number(args.flags.wait ?? 30));
    case 'upload':
      return uploadFiles(client, rest);
    case 'status':
      return status(client, rest[0], json);
    default:
      throw new CliError(`unknown command "${command}"\n${USAGE}`, 2);
  }
}

async function symbolicate(client: SymbridgeClient, file: string, json: boolean, wait: number): Promise<number> {
  // Bytes as they are: the service decodes them and says where any were not UTF-8.
  const paste = file === '-' ? await readStdin() : await readFile(file).catch((e: Error) => {
    throw new CliError(`cannot read ${file}: ${e.message}`);
  });
  if (paste.toString('latin1').trim() === '') throw new CliError('the paste is empty: give a file, or pipe the crash text on stdin');
  const accept = json ? 'application/json' : 'text/plain';
  const res = await client.request(`/v1/symbolicate?wait=${Math.max(0, Math.min(wait, 60))}`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain', accept },
    body: paste,
  });
  if (res.status === 202) {
    const { id } = (await res.json()) as { id: string };
    return pollJob(client, id, json, Date.now() + wait * 1000);
  }
  process.stdout.write(json ? `${JSON.stringify(await res.json(), null, 2)}\n` : await res.text());
  return 0;
}

async function pollJob(client: SymbridgeClient, id: string, json: boolean, deadline: number): Promise<number> {
  for (;;) {
    const job = (await (await client.request(`/v1/jobs/${encodeURIComponent(id)}`)).json()) as { state: string; error?: string };
    if (job.state === 'completed') return status(client, id, json);
    if (job.state === 'failed') throw new CliError(`job ${id} failed: ${job.error ?? 'unknown error'}`);
    if (Date.now() > deadline) throw new CliError(`job ${id} is still ${job.state}; check later with: symbridge status ${id}`, 3);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function status(client: SymbridgeClient, id: string | undefined, json: boolean): Promise<number> {
  if (!id) throw new CliError('status needs a job id', 2);
  const view = (await (await client.request(`/v1/jobs/${encodeURIComponent(id)}`)).json()) as {
    state: string;
    progress?: { stage: string; done: number; total: number };
    error?: string;
  };
  if (json) {
    process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
  } else if (view.state === 'completed') {
    const text = await (await client.request(`/v1/jobs/${encodeURIComponent(id)}`, { headers: { accept: 'text/plain' } })).text();
    process.stdout.write(text);
  } else {
    const p = view.progress ? ` (${view.progress.stage} ${view.progress.done}/${view.progress.total})` : '';
    process.stdout.write(`job ${id}: ${view.state}${p}${view.error ? `: ${view.error}` : ''}\n`);
  }
  return view.state === 'failed' ? 1 : 0;
}

async function uploadFiles(client: SymbridgeClient, args: string[]): Promise<number> {
  if (args.length === 0) throw new CliError('upload needs at least one file or directory', 2);
  const { files, skipped } = await uploadList(args);
  if (skipped.length > 0) {
    const shown = skipped.slice(0, 5).join(', ');
    process.stderr.write(`note: skipped ${skipped.length} file(s) that are not ELF: ${shown}${skipped.length > 5 ? `, and ${skipped.length - 5} more` : ''}\n`);
  }
  if (files.length === 0) throw new CliError(`no ELF files in ${args.join(' ')}: nothing to upload`);
  const rows: string[][] = [];
  let failed = 0;
  for (const file of files) {
    const bar = new ProgressBar(file);
    try {
      const result = (await client.uploadFile(file, (sent, total) => bar.update(sent, total))) as {
        files: { build_id: string; name: string; size: number; kind: string; created: boolean; has: Record<string, boolean> }[];
      };
      bar.done();
      for (const f of result.files) {
        const has = Object.entries(f.has).filter(([, v]) => v).map(([k]) => k).join(',');
        rows.push([f.name, f.build_id, f.kind, has, humanSize(f.size), f.created ? 'stored' : 'already stored']);
      }
    } catch (err) {
      bar.done();
      failed++;
      rows.push([file, '-', '-', '-', '-', `FAILED: ${oneLine((err as Error).message)}`]);
    }
  }
  process.stdout.write(`${table(['file', 'build-id', 'kind', 'holds', 'size', 'result'], rows)}\n`);
  return failed > 0 ? 1 : 0;
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`symbridge: ${err instanceof CliError ? err.message : (err as Error).stack}\n`);
    process.exit(err instanceof CliError ? err.exitCode : 1);
  },
);
