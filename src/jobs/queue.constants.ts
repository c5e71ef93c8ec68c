import { ModuleHint } from '../normalize/module-identity';

export const SYMBOLICATE_QUEUE = 'symbolicate';

export enum JobName {
  Symbolicate = 'symbolicate',
}

/** The job payload, versioned so an old worker can refuse a newer shape. */
export interface SymbolicateJobV1 {
  v: 1;
  traceback?: string;
  maps?: string;
  paste?: string;
  crash_dump?: string;
  /** An ELF core the API streamed to the storage root (symbol-store/core-store.ts); the worker reads it by range. */
  core?: { id: string; name: string; size: number; compression: string };
  modules?: ModuleHint[];
  /** What the API did to the input before it was queued (a text/plain body that was not valid UTF-8): diagnostics. */
  input_notes?: string[];
  /** SHA-256 (hex) of the token the job was submitted with: only it and admin tokens read the result. */
  owner?: string;
  received_at: string;
}

export interface JobProgress {
  stage: string;
  done: number;
  total: number;
}
