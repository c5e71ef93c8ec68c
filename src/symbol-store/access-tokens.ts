import { createHash, timingSafeEqual } from 'node:crypto';
import { SymbridgeError } from '../model/errors';

export type Scope = 'read' | 'upload' | 'admin';
const RANK: Record<Scope, number> = { read: 1, upload: 2, admin: 3 };

export interface TokenConfig {
  tokens: { upload: string[]; admin: string[]; read: string[] };
  readAccess: 'open' | 'token';
}

/**
 * Bearer tokens by scope: admin > upload > read. Tokens are kept only as SHA-256
 * digests and compared in constant time; no message ever contains one.
 * Uploads are open only while no upload or admin token is configured (one machine,
 * development); deletes always need an admin token.
 */
export class AccessTokens {
  private readonly digests: { digest: Buffer; scope: Scope }[];

  constructor(private readonly config: TokenConfig) {
    this.digests = (['read', 'upload', 'admin'] as Scope[]).flatMap((scope) => config.tokens[scope].map((t) => ({ digest: sha256(t), scope })));
  }

  get uploadsOpen(): boolean {
    return this.config.tokens.upload.length === 0 && this.config.tokens.admin.length === 0;
  }

  /** Any token configured: results are then read-scoped (readJob). */
  get tokensConfigured(): boolean {
    return this.digests.length > 0;
  }

  /**
   * Who submitted a job, as kept with it: the SHA-256 (hex) of the valid token it came
   * with, never the token. Undefined without a valid token.
   */
  ownerOf(authorization: string | undefined): string | undefined {
    if (!this.tokensConfigured || !this.scopeOf(authorization)) return undefined;
    return sha256(bearer(authorization)!).toString('hex');
  }

  /**
   * Whether this request may read a job's result. With tokens configured, a job
   * submitted with a token is readable by that token and by admin tokens only; a job
   * submitted without one (SYMBOLS_READ_ACCESS=open) by whoever holds its unguessable
   * id. Without tokens, everyone (one machine, development). The caller answers 404
   * when not, so a job's existence is not confirmed to others.
   */
  mayReadJob(authorization: string | undefined, owner: string | undefined): boolean {
    if (!this.tokensConfigured || owner === undefined) return true;
    const scope = this.scopeOf(authorization);
    if (scope === 'admin') return true;
    if (!scope) return false;
    return timingSafeEqual(Buffer.from(owner, 'hex'), sha256(bearer(authorization)!));
  }

  /** The scope a request's Authorization header grants, if any. */
  scopeOf(authorization: string | undefined, allowBasic = false): Scope | undefined {
    const token = allowBasic ? bearerOrBasic(authorization) : bearer(authorization);
    if (!token) return undefined;
    const d = sha256(token);
    let best: Scope | undefined;
    for (const t of this.digests) {
      if (timingSafeEqual(t.digest, d) && (!best || RANK[t.scope] > RANK[best])) best = t.scope;
    }
    return best;
  }

  /** `what` reads stored symbol data (metadata, files, or functions and lines by address). */
  requireRead(authorization: string | undefined, what = 'reading symbols'): void {
    if (this.config.readAccess === 'open') return;
    this.require(authorization, 'read', `${what} needs Authorization: Bearer <token> (SYMBOLS_READ_ACCESS=token)`);
  }

  requireUpload(authorization: string | undefined): void {
    if (this.uploadsOpen) return;
    this.require(authorization, 'upload', 'uploading needs Authorization: Bearer <token> with the upload or admin scope (UPLOAD_TOKENS)');
  }

  requireAdmin(authorization: string | undefined): void {
    if (this.config.tokens.admin.length === 0) {
      throw new SymbridgeError('FORBIDDEN', 'deleting is disabled: no ADMIN_TOKENS are configured');
    }
    this.require(authorization, 'admin', 'deleting needs Authorization: Bearer <token> with the admin scope (ADMIN_TOKENS)');
  }

  /** The admin scope for something other than deleting (the queue dashboard). */
  requireAdminFor(authorization: string | undefined, what: string): void {
    if (this.config.tokens.admin.length === 0) throw new SymbridgeError('FORBIDDEN', `${what} is disabled: no ADMIN_TOKENS are configured`);
    this.require(authorization, 'admin', `${what} needs the admin token (Authorization: Bearer <token>, or any user name with the token as password)`, true);
  }

  /** `allowBasic`: browsers' login prompt, for the dashboard only; the API takes Bearer tokens. */
  private require(authorization: string | undefined, need: Scope, message: string, allowBasic = false): void {
    const scope = this.scopeOf(authorization, allowBasic);
    if (!scope) throw new SymbridgeError('UNAUTHORIZED', authorization ? `${message}: the token is not valid` : message);
    if (RANK[scope] < RANK[need]) throw new SymbridgeError('FORBIDDEN', `${message}: this token has only the ${scope} scope`);
  }
}

/**
 * The token of `Bearer <token>`, or the password of `Basic base64(user:token)`, which
 * is what a browser sends after its login prompt (the queue dashboard).
 */
function bearer(authorization: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
}

function bearerOrBasic(authorization: string | undefined): string | undefined {
  const token = bearer(authorization);
  if (token) return token;
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
  if (!basic) return undefined;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 && colon < decoded.length - 1 ? decoded.slice(colon + 1) : undefined;
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}
