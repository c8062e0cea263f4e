/**
 * Live monitoring over a real listening server on the demo chain: the server-sent event streams
 * (api/routes/streams.ts) read with fetch as a client would — holders get their recall notices,
 * others nothing, regulators the summaries and the alerts; heartbeats; Last-Event-ID resume; all
 * streams end when the server closes — and webhooks (api/webhooks.ts) delivered to a real local
 * HTTP receiver: HMAC signatures that verify, a retry after a failure, and the delivery log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../api/server.ts';
import { issueToken } from '../../api/auth.ts';
import { signWebhook, verifyWebhookSignature } from '../../api/webhooks.ts';
import { runDemo, type DemoResult } from '../../trace/demo.ts';
import { signCampaign } from '../../trace/oversight/campaigns.ts';
import { publishNotice } from '../../trace/oversight/notify.ts';

interface SseEvent {
  id: string | null;
  event: string;
  data: any;
}

/** A minimal EventSource over fetch (it can send the Authorization header, which EventSource cannot). */
class SseClient {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  status = 0;
  contentType = '';
  ended = false;
  private readonly controller = new AbortController();

  static async open(url: string, token: string, lastEventId?: number): Promise<SseClient> {
    const c = new SseClient();
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', ...(lastEventId !== undefined ? { 'last-event-id': String(lastEventId) } : {}) }, signal: c.controller.signal });
    c.status = res.status;
    c.contentType = res.headers.get('content-type') ?? '';
    if (res.ok) void c.read(res.body!.getReader());
    else c.ended = true;
    return c;
  }

  private async read(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let id: string | null = null;
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
            else if (line.startsWith('id: ')) id = line.slice(4);
            else if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length > 0) this.events.push({ id, event, data: JSON.parse(data.join('\n')) });
        }
      }
    } catch {
      // aborted by close()
    }
    this.ended = true;
  }

  close(): void {
    this.controller.abort();
  }
}

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let dir: string;
let demo: DemoResult;
let app: FastifyInstance;
let base: string;
const keys = new Map<string, { party: string; keyId: string; secretKey: Uint8Array }>();
const tokens: Record<string, string> = {};
let holder: string;
let holderUnits: string[];
let bystander: string;

/** A local HTTP receiver: records every request; answers with the next queued status (default 200). */
const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
const answers: number[] = [];
let receiver: Server;
let receiverUrl: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drugtrace-streams-'));
  demo = runDemo(join(dir, 'demo.db'), { onPartyKey: (k) => keys.set(k.party, k) });
  app = await buildServer({ dbFile: join(dir, 'demo.db'), streams: { heartbeatMs: 100 }, webhooks: { retryDelaysMs: [50, 50], timeoutMs: 2000, allowPrivateTargets: true } });
  base = (await app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.statusCode = answers.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

  // Who holds units of lot A2602 now (custodian, or the party a unit is on its way to)?
  const db = app.drugtrace.db;
  const rows = db.prepare("SELECT code, status, custodian, shipped_to FROM trace_units WHERE lot = 'A2602' AND kind = 'unit' ORDER BY code").all() as Array<{ code: string; status: string; custodian: string; shipped_to: string | null }>;
  const holders = new Map<string, string[]>();
  for (const r of rows) {
    if (['dispensed', 'destroyed', 'stolen'].includes(r.status)) continue;
    const h = r.shipped_to ?? r.custodian;
    holders.set(h, [...(holders.get(h) ?? []), r.code]);
  }
  [holder, holderUnits] = [...holders.entries()].find(([p]) => p !== 'mah-huaxin')!;
  bystander = demo.parties.map((p) => p.id).find((p) => !holders.has(p) && !rows.some((r) => r.custodian === p))!;
  tokens.mah = issueToken(db, { party: 'mah-huaxin', role: 'manufacturer' }).token;
  tokens.regulator = issueToken(db, { party: 'nmpa', role: 'regulator' }).token;
  tokens.holder = issueToken(db, { party: holder, role: holder.startsWith('dist') ? 'distributor' : 'dispenser' }).token;
  tokens.bystander = issueToken(db, { party: bystander, role: 'dispenser' }).token;
});

afterAll(async () => {
  await app?.close();
  await new Promise((r) => receiver?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

async function post(path: string, token: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

describe('webhook signatures', () => {
  it('verify with the secret and the raw body, and fail for another body, another secret or an old timestamp', () => {
    const now = 1_800_000_000;
    const header = signWebhook('s3cret', '{"a":1}', now);
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature('s3cret', '{"a":1}', header, now)).toBe(true);
    expect(verifyWebhookSignature('s3cret', '{"a":2}', header, now)).toBe(false);
    expect(verifyWebhookSignature('other', '{"a":1}', header, now)).toBe(false);
    expect(verifyWebhookSignature('s3cret', '{"a":1}', header, now + 301)).toBe(false);
  });
});

describe('recall notices: SSE streams and webhooks', () => {
  let webhook: { id: string; secret: string };
  let campaignId: number;
  let holderStream: SseClient;
  let bystanderStream: SseClient;
  let regulatorStream: SseClient;

  it('streams need a token and the right role', async () => {
    expect((await fetch(`${base}/v1/streams/recalls`)).status).toBe(401);
    const res = await fetch(`${base}/v1/streams/alerts`, { headers: { authorization: `Bearer ${tokens.holder}` } });
    expect([res.status, (await res.json()).error.code]).toEqual([403, 'AUTH_FORBIDDEN']);
  });

  it('a holder registers a webhook (the secret shown once); alerts are for regulators only', async () => {
    const res = await post('/v1/webhooks', tokens.holder, { url: receiverUrl });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ party: holder, url: receiverUrl, types: ['recall'] });
    webhook = res.body;
    const list = await fetch(`${base}/v1/webhooks`, { headers: { authorization: `Bearer ${tokens.holder}` } }).then((r) => r.json());
    expect(list.webhooks).toEqual([{ id: webhook.id, party: holder, url: receiverUrl, types: ['recall'], createdAt: res.body.createdAt }]);
    expect((await post('/v1/webhooks', tokens.holder, { url: receiverUrl, types: ['alert'] })).body.error.code).toBe('AUTH_FORBIDDEN');
    expect((await post('/v1/webhooks', tokens.holder, { url: 'ftp://x' })).body.error.code).toBe('REQUEST_INVALID');
  });

  it('a campaign reaches the holder (stream and webhook) with its units, the regulator with the summary, and nobody else', async () => {
    holderStream = await SseClient.open(`${base}/v1/streams/recalls`, tokens.holder);
    bystanderStream = await SseClient.open(`${base}/v1/streams/recalls`, tokens.bystander);
    regulatorStream = await SseClient.open(`${base}/v1/streams/recalls`, tokens.regulator);
    expect([holderStream.status, holderStream.contentType]).toEqual([200, 'text/event-stream; charset=utf-8']);
    // The first delivery attempt fails: the webhook is retried.
    answers.push(500);
    const lot = demo.lots.find((l) => l.lot === 'A2602')!;
    const started = await post('/v1/recalls', tokens.mah, signCampaign({ reason: 'label mix-up', class: 'I', lots: [{ gtin: lot.gtin, lot: 'A2602' }] }, keys.get('mah-huaxin')!));
    expect(started.status).toBe(201);
    campaignId = started.body.id;

    await until('the holder notice', () => holderStream.events.length === 1);
    const [notice] = holderStream.events;
    expect(notice.event).toBe('recall');
    expect(notice.data).toMatchObject({ type: 'recall', party: holder, data: { event: 'recall.started', campaign: { id: campaignId, class: 'I', reason: 'label mix-up' }, units: holderUnits } });
    expect(notice.id).toBe(String(notice.data.id));
    await until('the regulator summary', () => regulatorStream.events.length === 1);
    expect(regulatorStream.events[0].data).toMatchObject({ party: null, data: { event: 'recall.started', campaign: { id: campaignId }, holders: started.body.notified } });
    // A heartbeat later the bystander has still heard nothing but heartbeats.
    const beats = bystanderStream.comments.length;
    await until('two heartbeats', () => bystanderStream.comments.filter((c) => c.startsWith('heartbeat')).length >= 2 && bystanderStream.comments.length > beats);
    expect(bystanderStream.events).toEqual([]);

    // Webhook: refused once (500), delivered on the retry; both requests signed over the same body.
    await app.webhooks!.idle();
    const hooks = received.filter((r) => r.headers['drugtrace-notice-id'] === notice.id);
    expect(hooks).toHaveLength(2);
    for (const h of hooks) {
      expect(verifyWebhookSignature(webhook.secret, h.body, String(h.headers['drugtrace-signature']))).toBe(true);
      expect(JSON.parse(h.body)).toEqual(notice.data);
    }
    expect(hooks.map((h) => h.headers['drugtrace-attempt'])).toEqual(['1', '2']);
    const log = await fetch(`${base}/v1/webhooks/${webhook.id}/deliveries`, { headers: { authorization: `Bearer ${tokens.holder}` } }).then((r) => r.json());
    expect(log.deliveries).toHaveLength(1);
    expect(log.deliveries[0]).toMatchObject({ noticeId: Number(notice.id), state: 'delivered', attempts: 2, lastStatus: 200 });
    expect(log.deliveries[0].log.map((a: { status: number; error: string | null }) => [a.status, a.error])).toEqual([
      [500, 'HTTP 500'],
      [200, null],
    ]);
    // Another party cannot read this webhook's log.
    expect((await fetch(`${base}/v1/webhooks/${webhook.id}/deliveries`, { headers: { authorization: `Bearer ${tokens.bystander}` } })).status).toBe(404);
  });

  it('a reconnecting client with Last-Event-ID gets what it missed, and only its own', async () => {
    const again = await SseClient.open(`${base}/v1/streams/recalls`, tokens.holder, 0);
    await until('the replayed notice', () => again.events.length >= 1);
    expect(again.events.map((e) => e.id)).toEqual([holderStream.events[0].id]);
    const after = await SseClient.open(`${base}/v1/streams/recalls`, tokens.holder, Number(holderStream.events[0].id));
    await until('a heartbeat', () => after.comments.some((c) => c.startsWith('heartbeat')));
    expect(after.events).toEqual([]);
    again.close();
    after.close();
  });

  it('the alert stream carries what the detectors publish, to regulators', async () => {
    const alerts = await SseClient.open(`${base}/v1/streams/alerts`, tokens.regulator);
    await until('the stream to open', () => alerts.comments.length > 0);
    const n = publishNotice(app.drugtrace.db, 'alert', { alertId: 7, detector: 'duplicate-code@1', severity: 'high' });
    await until('the alert', () => alerts.events.length === 1);
    expect(alerts.events[0]).toEqual({ id: String(n.id), event: 'alert', data: { id: n.id, type: 'alert', party: null, at: n.at, data: { alertId: 7, detector: 'duplicate-code@1', severity: 'high' } } });
    // Recall streams do not carry alerts.
    expect(regulatorStream.events.every((e) => e.event === 'recall')).toBe(true);
    alerts.close();
  });

  it('closing the server ends every open stream instead of waiting for them', async () => {
    expect([holderStream.ended, bystanderStream.ended, regulatorStream.ended]).toEqual([false, false, false]);
    await app.close();
    await until('the streams to end', () => holderStream.ended && bystanderStream.ended && regulatorStream.ended, 3000);
  });
});
