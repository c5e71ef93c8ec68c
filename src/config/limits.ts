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
};
