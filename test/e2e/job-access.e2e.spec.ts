import { captured } from '../support/fixtures';
import { startService, TestService } from '../support/service';

/**
 * Results are private when tokens are configured: job ids are unguessable, and a job
 * is read by the token that submitted it and by admin tokens; anyone else gets the
 * same 404 as for an unknown id. Without tokens, as before (the id is the capability).
 */
const paste = `${captured('exe', 'stderr')}\n${captured('exe', 'maps')}`;
const ADMIN = 'admin-token-0123456789abcdef';
const TEAM_A = 'team-a-read-token-0123456789';
const TEAM_B = 'team-b-upload-token-01234567';

async function submit(url: string, token?: string): Promise<{ status: number; id: string; location: string }> {
  const headers: Record<string, string> = { 'content-type': 'text/plain' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${url}/v1/symbolicate?wait=0`, { method: 'POST', headers, body: paste });
  const body = (await res.json()) as { id: string; location: string };
  return { status: res.status, id: body.id, location: res.headers.get('location') ?? '' };
}

async function read(url: string, id: string, token?: string) {
  const res = await fetch(`${url}/v1/jobs/${id}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('with tokens configured', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startService({ tokens: { admin: [ADMIN], upload: [TEAM_B], read: [TEAM_A] } });
  });
  afterAll(async () => svc?.close());

  it('job ids are 128-bit base64url, not a sequence', async () => {
    const a = await submit(svc.url, TEAM_A);
    const b = await submit(svc.url, TEAM_A);
    expect(a.status).toBe(202);
    for (const j of [a, b]) {
      expect(j.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(j.location).toBe(`/v1/jobs/${j.id}`);
    }
    expect(a.id).not.toBe(b.id);
    expect(Number.isInteger(Number(a.id))).toBe(false);
  });

  it("the submitter's token and the admin token read the job; another token, none or a wrong one get 404", async () => {
    const { id } = await submit(svc.url, TEAM_A);
    const own = await read(svc.url, id, TEAM_A);
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ id });
    expect(own.body).not.toHaveProperty('owner'); // the token's digest stays in Redis
    expect((await read(svc.url, id, ADMIN)).status).toBe(200);
    const unknown = await read(svc.url, 'q3VxA0mZ8s2cXb1e9TfQ4w', TEAM_B);
    for (const other of [await read(svc.url, id, TEAM_B), await read(svc.url, id), await read(svc.url, id, 'not-a-valid-token-0123456789')]) {
      // The same answer as for a job that does not exist: nothing confirms the id.
      expect(other.status).toBe(404);
      expect(other.body.code).toBe(unknown.body.code);
      expect(String(other.body.message).replace(id, 'ID')).toBe(String(unknown.body.message).replace('q3VxA0mZ8s2cXb1e9TfQ4w', 'ID'));
    }
  });

  it('the result can be waited for and read as text by its owner only', async () => {
    const { id } = await submit(svc.url, TEAM_B);
    const until = Date.now() + 20_000;
    let state = '';
    while (state !== 'completed' && Date.now() < until) {
      state = String((await read(svc.url, id, TEAM_B)).body.state);
      if (state !== 'completed') await new Promise((r) => setTimeout(r, 100));
    }
    expect(state).toBe('completed');
    const text = await fetch(`${svc.url}/v1/jobs/${id}`, { headers: { accept: 'text/plain', authorization: `Bearer ${TEAM_B}` } });
    expect(text.status).toBe(200);
    expect(await text.text()).toMatch(/goroutine/);
    const stranger = await fetch(`${svc.url}/v1/jobs/${id}`, { headers: { accept: 'text/plain', authorization: `Bearer ${TEAM_A}` } });
    expect(stranger.status).toBe(404);
  });

  it('a job submitted without a token (reads open) is read by its unguessable id', async () => {
    const { status, id } = await submit(svc.url);
    expect(status).toBe(202);
    expect((await read(svc.url, id)).status).toBe(200);
  });
});

describe('without tokens configured', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startService({ tokens: { admin: [], upload: [], read: [] } });
  });
  afterAll(async () => svc?.close());

  it('anyone with the id reads the job, as before', async () => {
    const { status, id } = await submit(svc.url);
    expect(status).toBe(202);
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect((await read(svc.url, id)).status).toBe(200);
    expect((await read(svc.url, id, 'whatever-token-0123456789')).status).toBe(200);
  });
});
