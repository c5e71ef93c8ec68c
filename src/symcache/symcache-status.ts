import { SymbolStore } from '../symbol-store/symbol-store.service';
import { VERSION } from './symcache-format';

/** Artifact names under buildid/<id>/: the symcache file and its status note. */
export const SYMCACHE_ARTIFACT = 'symcache';
export const SYMCACHE_STATUS_ARTIFACT = 'symcache-status';

/**
 * Where a build-id's symcache is, as GET /v1/symbols/ID shows it and workers read it
 * (a note in the store, so every machine sees the same). `source` is the file it is
 * (being) built from: a debug file uploaded later makes a ready symcache stale.
 */
export interface SymcacheStatus {
  state: 'building' | 'ready' | 'failed';
  /** failed: why, in words (the DWARF reader's message names the section and offset). */
  reason?: string;
  /** The symcache format version it was built for (an older one is rebuilt). */
  version: number;
  source?: { size: number };
  since: string;
  stats?: { ms: number; peak_rss_mb: number; bytes: number; dwarf_bytes: number; ranges: number; mode: string };
}

export async function readSymcacheStatus(store: SymbolStore, id: string): Promise<SymcacheStatus | undefined> {
  const text = await store.artifactText(id, SYMCACHE_STATUS_ARTIFACT);
  if (!text) return undefined;
  try {
    const s = JSON.parse(text) as SymcacheStatus;
    return s && typeof s.state === 'string' ? s : undefined;
  } catch {
    return undefined; // a damaged note is as good as none: the symcache is rebuilt
  }
}

export function writeSymcacheStatus(store: SymbolStore, id: string, s: Omit<SymcacheStatus, 'version' | 'since'>): Promise<void> {
  const full: SymcacheStatus = { ...s, version: VERSION, since: new Date().toISOString() };
  return store.putArtifactText(id, SYMCACHE_STATUS_ARTIFACT, JSON.stringify(full));
}

/** What the API shows: `building`, `ready`, `failed (why)`; `none` before a worker has seen the build-id. */
export function describeSymcache(s: SymcacheStatus | undefined): string {
  if (!s) return 'none';
  if (s.version !== VERSION) return 'building';
  return s.state === 'failed' ? `failed (${s.reason ?? 'no reason given'})` : s.state;
}
