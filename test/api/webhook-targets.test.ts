/**
 * Webhook targets (api/webhook-targets.ts, api/webhooks.ts): the server sends webhooks to public
 * addresses only unless told otherwise. The address table is checked on its own; registration and
 * delivery against a real listening server on the demo chain with a real HTTP receiver on
 * 127.0.0.1: non-public literal addresses and user:pass@ URLs are refused at registration with
 * nothing stored, a name resolving to loopback fails each delivery attempt naming the address
 * (the receiver sees nothing), and with `allowPrivateTargets` the same delivery arrives signed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { LookupAddress } from 'node:dns';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { classifyAddress, checkWebhookUrl, publicOnlyLookup, WebhookTargetError } from '../../api/webhook-targets.ts';
import { verifyWebhookSignature } from '../../api/webhooks.ts';
import { publishNotice } from '../../trace/oversight/notify.ts';
import { NORTH, startServer, type ApiServer } from './fixture.ts';

describe('classifyAddress', () => {
  // [address, range that decides, public?]
  const TABLE: Array<[string, string, boolean]> = [
    ['8.8.8.8', 'unicast', true],
    ['93.184.215.14', 'unicast', true],
    ['2606:4700:4700::1111', 'unicast', true],
    ['127.0.0.1', 'loopback', false],
    ['127.255.255.254', 'loopback', false],
    ['::1', 'loopback', false],
    ['10.1.2.3', 'private', false],
    ['172.16.0.1', 'private', false],
    ['172.31.255.255', 'private', false],
    ['192.168.1.10', 'private', false],
    ['169.254.169.254', 'linkLocal', false],
    ['fe80::1', 'linkLocal', false],
    ['fe80::1%eth0', 'linkLocal', false],
    ['100.64.0.1', 'carrierGradeNat', false],
    ['fc00::1', 'uniqueLocal', false],
    ['fd12:3456:789a::1', 'uniqueLocal', false],
    ['224.0.0.1', 'multicast', false],
    ['ff02::1', 'multicast', false],
    ['255.255.255.255', 'broadcast', false],
    ['0.0.0.0', 'unspecified', false],
    ['::', 'unspecified', false],
    ['192.0.2.1', 'reserved', false],
    ['240.0.0.1', 'reserved', false],
    ['2001:db8::1', 'reserved', false],
    ['198.18.0.1', 'reserved', false],
    ['2001:2::1', 'benchmarking', false],
    // IPv6 forms carrying an IPv4 address are judged by the IPv4 address.
    ['::ffff:127.0.0.1', 'loopback', false],
    ['::ffff:7f00:1', 'loopback', false],
    ['::ffff:10.0.0.1', 'private', false],
    ['::ffff:169.254.169.254', 'linkLocal', false],
    ['::ffff:8.8.8.8', 'unicast', true],
    ['64:ff9b::a00:1', 'private', false],
    ['64:ff9b::808:808', 'unicast', true],
    ['::ffff:0:7f00:1', 'loopback', false],
    // Deprecated or tunnelling forms are refused whatever they carry.
    ['::7f00:1', 'ipv4Compatible', false],
    ['::808:808', 'ipv4Compatible', false],
    ['64:ff9b:1::1', 'rfc6052', false],
    ['2002:c000:204::1', '6to4', false],
    ['2001::1', 'teredo', false],
  ];

  it.each(TABLE)('%s is %s (public: %s)', (address, range, isPublic) => {
    const c = classifyAddress(address);
    expect([c.range, c.public]).toEqual([range, isPublic]);
  });

  it('names the IPv4 address an IPv6 address carries, and the form', () => {
    expect(classifyAddress('::ffff:7f00:1')).toEqual({ address: '::ffff:7f00:1', range: 'loopback', ipv4: { address: '127.0.0.1', via: 'ipv4Mapped' }, public: false });
    expect(classifyAddress('64:ff9b::808:808').ipv4).toEqual({ address: '8.8.8.8', via: 'rfc6052' });
  });

  it('throws on something that is not an address', () => {
    expect(() => classifyAddress('localhost')).toThrow(TypeError);
  });
});

describe('checkWebhookUrl', () => {
  const refusal = (url: string, allowPrivate = false): WebhookTargetError => {
    try {
      checkWebhookUrl(url, allowPrivate);
    } catch (err) {
      if (err instanceof WebhookTargetError) return err;
      throw err;
    }
    throw new Error(`${url} was accepted`);
  };

  it('refuses literal addresses in every form the URL parser reads as a non-public address', () => {
    for (const url of ['http://127.0.0.1/', 'http://2130706433/', 'http://0x7f.1/', 'http://127.1:8080/x', 'http://[::1]/', 'http://[::ffff:127.0.0.1]/', 'http://[0:0:0:0:0:ffff:7f00:1]/']) {
      const err = refusal(url);
      expect([url, err.code, err.details.range]).toEqual([url, 'WEBHOOK_TARGET_FORBIDDEN', 'loopback']);
    }
  });

  it('refuses credentials in the URL, with or without private targets allowed, and does not repeat them', () => {
    for (const allow of [false, true]) {
      const err = refusal('https://alice:s3cr3t@hooks.example.com/x', allow);
      expect(err.code).toBe('WEBHOOK_URL_CREDENTIALS');
      expect(err.details.url).toBe('https://hooks.example.com/x');
      expect(err.message).not.toContain('s3cr3t');
      expect(refusal('https://token@hooks.example.com/x', allow).code).toBe('WEBHOOK_URL_CREDENTIALS');
    }
  });

  it('lets host names through (their addresses are checked when connecting), and private literals when allowed', () => {
    expect(() => checkWebhookUrl('https://hooks.example.com/x')).not.toThrow();
    expect(() => checkWebhookUrl('http://localhost:8080/x')).not.toThrow();
    expect(() => checkWebhookUrl('https://8.8.8.8/x')).not.toThrow();
    expect(() => checkWebhookUrl('http://10.1.2.3/x', true)).not.toThrow();
  });
});

describe('publicOnlyLookup', () => {
  /** A resolver answering each call with the next list of addresses (a name re-pointed between lookups). */
  const resolver = (...answers: LookupAddress[][]) =>
    ((_host: string, _opts: unknown, cb: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => {
      const next = answers.shift()!;
      queueMicrotask(() => cb(null, next));
    }) as unknown as typeof import('node:dns').lookup;

  const run = (lookup: ReturnType<typeof publicOnlyLookup>, all: boolean) =>
    new Promise<{ err: Error | null; result: unknown }>((resolve) =>
      lookup('hooks.example.com', { all } as never, ((err: Error | null, address: unknown, family?: number) => resolve({ err, result: all ? address : [address, family] })) as never),
    );

  it('hands the checked addresses to the connection, one or all as asked', async () => {
    const publicAddresses = [
      { address: '93.184.215.14', family: 4 },
      { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 },
    ];
    expect(await run(publicOnlyLookup(false, resolver(publicAddresses)), true)).toEqual({ err: null, result: publicAddresses });
    expect(await run(publicOnlyLookup(false, resolver(publicAddresses)), false)).toEqual({ err: null, result: ['93.184.215.14', 4] });
  });

  it('refuses a name that resolves to a non-public address, naming it, also when it resolved to a public one before (rebinding)', async () => {
    const lookup = publicOnlyLookup(false, resolver([{ address: '93.184.215.14', family: 4 }], [{ address: '127.0.0.1', family: 4 }]));
    expect((await run(lookup, true)).err).toBeNull();
    const second = await run(lookup, true);
    expect(second.err).toBeInstanceOf(WebhookTargetError);
    expect(second.err!.message).toBe('webhook target hooks.example.com resolves to 127.0.0.1 (loopback), which is not a public address; webhooks are delivered to public addresses only');
    expect((second.err as WebhookTargetError).details).toEqual({ host: 'hooks.example.com', address: '127.0.0.1', range: 'loopback' });
  });

  it('refuses a name when any of its addresses is not public', async () => {
    const mixed = [
      { address: '93.184.215.14', family: 4 },
      { address: '169.254.169.254', family: 4 },
    ];
    const { err } = await run(publicOnlyLookup(false, resolver(mixed)), true);
    expect((err as WebhookTargetError).details).toMatchObject({ address: '169.254.169.254', range: 'linkLocal' });
  });

  it('passes private addresses when private targets are allowed', async () => {
    expect(await run(publicOnlyLookup(true, resolver([{ address: '10.1.2.3', family: 4 }])), false)).toEqual({ err: null, result: ['10.1.2.3', 4] });
  });
});

/** A local HTTP receiver on 127.0.0.1 recording every request. */
async function startReceiver(): Promise<{ server: Server; port: number; received: Array<{ headers: IncomingHttpHeaders; body: string }> }> {
  const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, received };
}

async function api(s: ApiServer, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${s.base}${path}`, {
    method,
    headers: { authorization: `Bearer ${s.tokens.distributor}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: res.status === 204 ? null : await res.json() };
}

const webhookRows = (s: ApiServer) => (s.app.drugtrace.db.prepare('SELECT COUNT(*) AS n FROM oversight_webhooks').get() as { n: number }).n;

/** Publishes a recall notice for the distributor and waits until its deliveries are settled; returns the webhook's delivery log. */
async function deliverOne(s: ApiServer, webhookId: string): Promise<any> {
  publishNotice(s.app.drugtrace.db, 'recall', { event: 'recall.started', test: true }, { party: NORTH.id });
  await s.app.webhooks!.idle();
  const log = await api(s, 'GET', `/v1/webhooks/${webhookId}/deliveries`);
  expect(log.status).toBe(200);
  return log.body.deliveries;
}

describe('webhooks on a server with default options (public targets only)', () => {
  let s: ApiServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    s = await startServer({ webhooks: { retryDelaysMs: [20], timeoutMs: 5000 } });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await s?.close();
    await new Promise((r) => receiver?.server.close(r));
  });

  it('refuses a non-public literal address with 422 WEBHOOK_TARGET_FORBIDDEN naming the address and range, and stores nothing', async () => {
    const before = webhookRows(s);
    const cases: Array<[string, Record<string, unknown>]> = [
      [`http://127.0.0.1:${receiver.port}/hook`, { address: '127.0.0.1', range: 'loopback' }],
      ['http://[::1]/hook', { address: '::1', range: 'loopback' }],
      ['http://169.254.169.254/latest/meta-data/', { address: '169.254.169.254', range: 'linkLocal' }],
      ['http://10.1.2.3/hook', { address: '10.1.2.3', range: 'private' }],
      ['http://[::ffff:127.0.0.1]/hook', { address: '::ffff:7f00:1', range: 'loopback', ipv4: '127.0.0.1', via: 'ipv4Mapped' }],
      ['http://192.168.0.1/hook', { address: '192.168.0.1', range: 'private' }],
      ['http://100.64.0.1/hook', { address: '100.64.0.1', range: 'carrierGradeNat' }],
      ['https://[fd00::1]/hook', { address: 'fd00::1', range: 'uniqueLocal' }],
      ['http://0.0.0.0/hook', { address: '0.0.0.0', range: 'unspecified' }],
      ['http://2130706433/hook', { address: '127.0.0.1', range: 'loopback' }],
    ];
    for (const [url, details] of cases) {
      const res = await api(s, 'POST', '/v1/webhooks', { url });
      expect([url, res.status, res.body.error.code]).toEqual([url, 422, 'WEBHOOK_TARGET_FORBIDDEN']);
      expect(res.body.error.details).toMatchObject({ ...details, path: 'body/url' });
      expect(res.body.error.message).toContain(`${details.address} (`);
    }
    expect(webhookRows(s)).toBe(before);
    expect((await api(s, 'GET', '/v1/webhooks')).body.webhooks).toEqual([]);
  });

  it('refuses a URL with user:pass@ with 422 WEBHOOK_URL_CREDENTIALS, and stores nothing', async () => {
    const before = webhookRows(s);
    const res = await api(s, 'POST', '/v1/webhooks', { url: 'https://alice:s3cr3t@hooks.example.com/drugtrace' });
    expect([res.status, res.body.error.code, res.body.error.details.url]).toEqual([422, 'WEBHOOK_URL_CREDENTIALS', 'https://hooks.example.com/drugtrace']);
    expect(JSON.stringify(res.body)).not.toContain('s3cr3t');
    expect(webhookRows(s)).toBe(before);
  });

  it('accepts a public address and a host name', async () => {
    for (const url of ['https://8.8.8.8/hook', 'https://hooks.example.com/drugtrace']) {
      const res = await api(s, 'POST', '/v1/webhooks', { url });
      expect([url, res.status]).toEqual([url, 201]);
      // Never delivered to: removed before any notice is published.
      expect((await api(s, 'DELETE', `/v1/webhooks/${res.body.id}`)).status).toBe(204);
    }
  });

  it('fails each attempt to a name that resolves to loopback, naming the address; the receiver gets nothing', async () => {
    const url = `http://localhost:${receiver.port}/hook`;
    const registered = await api(s, 'POST', '/v1/webhooks', { url });
    expect(registered.status).toBe(201);
    const [delivery] = await deliverOne(s, registered.body.id);
    expect(delivery).toMatchObject({ state: 'failed', attempts: 2, lastStatus: null });
    expect(delivery.log).toHaveLength(2);
    for (const a of delivery.log) {
      expect(a.status).toBeNull();
      expect(a.error).toMatch(/^WEBHOOK_TARGET_FORBIDDEN: webhook target localhost resolves to (127\.0\.0\.1|::1) \(loopback\), which is not a public address/);
    }
    expect(receiver.received).toEqual([]);
    await api(s, 'DELETE', `/v1/webhooks/${registered.body.id}`);
  });

  it('fails delivery to a non-public literal address stored earlier (registered while private targets were allowed)', async () => {
    const id = randomBytes(8).toString('hex');
    s.app.drugtrace.db
      .prepare('INSERT INTO oversight_webhooks (id, party, role, url, secret, types, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(id, NORTH.id, 'distributor', `http://127.0.0.1:${receiver.port}/hook`, 'secret', '["recall"]', new Date().toISOString());
    const [delivery] = await deliverOne(s, id);
    expect(delivery).toMatchObject({ state: 'failed', attempts: 2 });
    expect(delivery.log.map((a: { error: string }) => a.error)).toEqual([
      'WEBHOOK_TARGET_FORBIDDEN: webhook target 127.0.0.1 (loopback) is not a public address; webhooks are delivered to public addresses only',
      'WEBHOOK_TARGET_FORBIDDEN: webhook target 127.0.0.1 (loopback) is not a public address; webhooks are delivered to public addresses only',
    ]);
    expect(receiver.received).toEqual([]);
  });
});

describe('webhooks on a server with allowPrivateTargets', () => {
  let s: ApiServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    s = await startServer({ webhooks: { retryDelaysMs: [20], timeoutMs: 5000, allowPrivateTargets: true } });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await s?.close();
    await new Promise((r) => receiver?.server.close(r));
  });

  it('delivers to a name that resolves to loopback, signed', async () => {
    const registered = await api(s, 'POST', '/v1/webhooks', { url: `http://localhost:${receiver.port}/hook` });
    expect(registered.status).toBe(201);
    const [delivery] = await deliverOne(s, registered.body.id);
    expect(delivery).toMatchObject({ state: 'delivered', attempts: 1, lastStatus: 200 });
    expect(receiver.received).toHaveLength(1);
    const [hook] = receiver.received;
    expect(verifyWebhookSignature(registered.body.secret, hook.body, String(hook.headers['drugtrace-signature']))).toBe(true);
    expect(JSON.parse(hook.body)).toMatchObject({ type: 'recall', party: NORTH.id, data: { event: 'recall.started', test: true } });
  });

  it('accepts private literal addresses at registration, but never credentials', async () => {
    const ok = await api(s, 'POST', '/v1/webhooks', { url: 'http://10.1.2.3/hook' });
    expect(ok.status).toBe(201);
    await api(s, 'DELETE', `/v1/webhooks/${ok.body.id}`);
    const refused = await api(s, 'POST', '/v1/webhooks', { url: `http://user:pass@127.0.0.1:${receiver.port}/hook` });
    expect([refused.status, refused.body.error.code]).toEqual([422, 'WEBHOOK_URL_CREDENTIALS']);
  });
});
