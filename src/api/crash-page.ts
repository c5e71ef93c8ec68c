import { FastifyReply, FastifyRequest } from 'fastify';
import { CrashPage, renderCrashPage } from '../render/html.renderer';

/**
 * Content negotiation for people (issue 15 item 4), in one place: a browser asks for
 * text/html and gets the crash page; API clients (Accept: application/json, any, none) keep JSON.
 */
export function wantsHtml(req: FastifyRequest): boolean {
  const accept = (req.headers.accept ?? '').toLowerCase();
  return accept.includes('text/html') && !accept.startsWith('application/json');
}

/** Only our own script runs on the page, whatever a crash text smuggles into it. */
export const CRASH_PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

export function baseUrlOf(req: FastifyRequest): string {
  const host = req.headers.host ?? 'localhost';
  return `${req.protocol}://${host}`;
}

export async function sendCrashPage(req: FastifyRequest, reply: FastifyReply, page: Omit<CrashPage, 'baseUrl'>): Promise<void> {
  await reply
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', CRASH_PAGE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('cache-control', 'no-store')
    .send(renderCrashPage({ ...page, baseUrl: baseUrlOf(req) }));
}
