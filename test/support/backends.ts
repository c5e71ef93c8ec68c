import { S3Server } from './s3-server';
import { s3Overrides, ServiceOverrides } from './service';

/** Run a suite once per store backend: `fs` (the storage root) and `s3` (a real S3 endpoint started here). */
export function eachBackend(name: string, body: (backend: () => ServiceOverrides) => void): void {
  describe.each(['fs', 's3'] as const)(`${name} (STORE_BACKEND=%s)`, (kind) => {
    let s3: S3Server | undefined;
    beforeAll(async () => {
      if (kind === 's3') s3 = await S3Server.start();
    });
    afterAll(async () => s3?.close());
    body(() => (kind === 's3' ? s3Overrides(s3!) : {}));
  });
}
