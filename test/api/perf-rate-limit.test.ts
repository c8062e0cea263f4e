import { afterEach, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import { rateLimitPlugin } from '../../api/plugins/rate-limit.ts';
import { errorsPlugin } from '../../api/plugins/errors.ts';
import { ApiError } from '../../api/errors.ts';

/** A small app with the API's error shape and the limiter, keyed by the x-caller header. */
async function start(max: number, timeWindowMs: number): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify();
  errorsPlugin(app, { bodyLimit: 1024 });
  rateLimitPlugin(app, { max, timeWindowMs, key: (request) => String(request.headers['x-caller'] ?? request.ip) });
  app.get('/open', async () => ({ ok: true }));
  app.get(
    '/guarded',
    {
      onRequest: (request, _reply, done) =>
        done(request.headers.authorization === 'Bearer right' ? undefined : new ApiError(401, 'AUTH_INVALID_TOKEN', 'the bearer token is malformed, unknown or revoked')),
    },
    async () => ({ ok: true }),
  );
  const url = (await app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
  return { app, url };
}

let running: FastifyInstance | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, json: (await res.json()) as { error?: { code: string; message: string; details?: Record<string, unknown> } } };
}

describe('rateLimitPlugin', () => {
  it('says the limit, the requests left and the seconds to the window end on every answer, and answers 429 RATE_LIMITED with Retry-After past the limit', async () => {
    const { app, url } = await start(3, 60_000);
    running = app;
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await get(`${url}/open`, { 'x-caller': 'a' }));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    expect(answers.map((a) => a.headers.get('x-ratelimit-limit'))).toEqual(['3', '3', '3', '3']);
    expect(answers.map((a) => a.headers.get('x-ratelimit-remaining'))).toEqual(['2', '1', '0', '0']);
    for (const a of answers) expect(Number(a.headers.get('x-ratelimit-reset'))).toBeGreaterThanOrEqual(59);
    expect(answers[0].headers.get('retry-after')).toBeNull();
    const over = answers[3];
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
    expect(over.json.error).toMatchObject({ code: 'RATE_LIMITED', details: { max: 3, retryAfter: Number(over.headers.get('retry-after')) } });
    expect(over.json.error?.message).toMatch(/^rate limit of 3 requests per 1 minute exceeded; retry in \d+ s$/);
  });

  it('keeps one window per caller: another caller is not limited by the first', async () => {
    const { app, url } = await start(2, 60_000);
    running = app;
    for (let i = 0; i < 3; i++) await get(`${url}/open`, { 'x-caller': 'busy' });
    expect((await get(`${url}/open`, { 'x-caller': 'busy' })).status).toBe(429);
    const other = await get(`${url}/open`, { 'x-caller': 'quiet' });
    expect(other.status).toBe(200);
    expect(other.headers.get('x-ratelimit-remaining')).toBe('1');
  });

  it("runs after the route's own onRequest hooks: a request its guard refuses takes nothing from the caller's window", async () => {
    const { app, url } = await start(2, 60_000);
    running = app;
    for (let i = 0; i < 5; i++) expect((await get(`${url}/guarded`, { 'x-caller': 'c', authorization: 'Bearer wrong' })).json.error?.code).toBe('AUTH_INVALID_TOKEN');
    const first = await get(`${url}/guarded`, { 'x-caller': 'c', authorization: 'Bearer right' });
    expect({ status: first.status, remaining: first.headers.get('x-ratelimit-remaining') }).toEqual({ status: 200, remaining: '1' });
  });

  it('opens a fresh window once the last one has ended', async () => {
    const { app, url } = await start(1, 300);
    running = app;
    expect((await get(`${url}/open`, { 'x-caller': 'd' })).status).toBe(200);
    expect((await get(`${url}/open`, { 'x-caller': 'd' })).status).toBe(429);
    await new Promise((r) => setTimeout(r, 400));
    const again = await get(`${url}/open`, { 'x-caller': 'd' });
    expect({ status: again.status, remaining: again.headers.get('x-ratelimit-remaining') }).toEqual({ status: 200, remaining: '0' });
  });

  it('refuses a limit that is not a whole number or a window that is not positive', () => {
    expect(() => rateLimitPlugin(Fastify(), { max: 1.5, timeWindowMs: 1000, key: () => 'k' })).toThrow(/whole max/);
    expect(() => rateLimitPlugin(Fastify(), { max: 10, timeWindowMs: 0, key: () => 'k' })).toThrow(/window > 0/);
  });
});
