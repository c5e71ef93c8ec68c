/** Request limits; each is a config value and is stated in the OpenAPI document. */
export interface Limits {
  /** Largest symbolicate body (JSON, text or multipart), bytes. */
  maxBodyBytes: number;
  /** Largest single uploaded debug file, bytes. */
  maxUploadBytes: number;
  /** Largest core file (POST /v1/symbolicate core_dump), bytes, after decompression and before. */
  maxCoreBytes: number;
  /** Most frames the unwinder walks on one stack (thread or goroutine) of a core. */
  maxFramesPerStack: number;
  /** Most files in one upload request. */
  maxUploadFiles: number;
  /** Cap on `?wait=` seconds. */
  maxWaitSeconds: number;
  /** Most frames (all threads together) in one symbolicate request. */
  maxFrames: number;
  /** POST /v1/symbolicate per client (IP) per rate window; 0: no limit. */
  rateSymbolicate: number;
  /** POST /v1/symbols per client (IP) per rate window; 0: no limit. */
  rateUploads: number;
  /** The rate window, ms. */
  rateWindowMs: number;
  /** A request's line and headers must arrive within this, ms (slowloris); then 408 and closed. */
  headersTimeoutMs: number;
  /** A whole request (headers and body) must arrive within this, ms; then 408 and closed. */
  requestTimeoutMs: number;
  /** A body that sends nothing for this long is aborted (socket closed, temp files removed), ms. */
  bodyIdleTimeoutMs: number;
  /** An idle keep-alive connection is closed after this, ms. */
  keepAliveTimeoutMs: number;
  /** Most request bodies being received at once per API process; beyond it 503 + Retry-After. */
  maxInflightBodies: number;
}

/** Defaults as documented (the OpenAPI text is generated from these, not from the environment). */
export const DEFAULT_LIMITS: Limits = {
  maxBodyBytes: 8 * 1024 * 1024,
  maxUploadBytes: 2 * 1024 * 1024 * 1024,
  maxCoreBytes: 8 * 1024 * 1024 * 1024,
  maxFramesPerStack: 1024,
  maxUploadFiles: 32,
  maxWaitSeconds: 60,
  maxFrames: 50_000,
  rateSymbolicate: 600,
  rateUploads: 120,
  rateWindowMs: 60_000,
  headersTimeoutMs: 10_000,
  // 2 GiB uploads at ~4 MB/s; stalled bodies are cut much sooner by bodyIdleTimeoutMs.
  requestTimeoutMs: 600_000,
  bodyIdleTimeoutMs: 10_000,
  // Fastify's default: above the 60 s idle timeout of common load balancers, which would
  // otherwise reuse a connection we are closing (their 502).
  keepAliveTimeoutMs: 72_000,
  maxInflightBodies: 32,
};
