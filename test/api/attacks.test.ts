/**
 * Attacks on a real listening server over the demo chain: forged and replayed signatures, revoked
 * keys and tokens, a party acting at another party's site, brute-forced tokens against the rate
 * limits, path traversal on the static files (/docs assets and the /web pages), oversized and
 * deeply nested JSON, SQL metacharacters in every path and query parameter of the OpenAPI
 * document; and a witness fed a forked (split-view) checkpoint. Each is refused with its stable
 * code, and nothing is written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signCapture } from '../../trace/capture.ts';
import { issueToken, revokeToken } from '../../api/auth.ts';
import { fromBase64, toBase64 } from '../../ledger/bytes.ts';
import { ed25519 } from '../../ledger/crypto-node.ts';
import { Ledger } from '../../ledger/ledger.ts';
import { verifyLedger } from '../../ledger/verify.ts';
import { DEMO_PARTIES } from '../../trace/demo.ts';
import { addParty, batchDocument, witnessFor } from '../ledger/helpers.ts';
import { documentedErrors, NASTY_STRINGS, openApiRoutes, startApi, undocumented, type ApiFixture } from '../reliability/api-fixture.ts';
import { http } from '../reliability/harness.ts';
import { onPostgres } from '../helpers/dialect.ts';

const site = (id: string) => DEMO_PARTIES.find((p) => p.id === id)!.location;
const CONTEXT = ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'];

function dispenseDocument(code: string, at: string, eventTime = '2026-03-21T10:00:00.000+08:00') {
  return {
    '@context': CONTEXT,
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: eventTime,
    epcisBody: { eventList: [{ type: 'ObjectEvent', eventTime, eventTimeZoneOffset: '+08:00', epcList: [code], action: 'OBSERVE', bizStep: 'dispensing', disposition: 'dispensed', readPoint: { id: at } }] },
  };
}

/** A GET with the path sent byte for byte (fetch would resolve "..").  */
function rawGet(base: string, path: string): Promise<{ status: number; body: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('latin1')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

let api: ApiFixture;
const size = () => api.app.drugtrace.ledger.size();

beforeAll(async () => {
  api = await startApi({ rateLimit: false, auth: { failureLimit: 1_000_000 }, web: true });
});
afterAll(async () => api?.close());

describe('forged signatures', () => {
  it('a flipped signature bit, a document changed after signing, another key under this keyId, an unknown key: refused, nothing written', async () => {
    const p3 = api.keys.get('pharmacy-3')!;
    const p5 = api.keys.get('pharmacy-5')!;
    const unit = api.demo.lookAt.okToDispense;
    const good = signCapture(dispenseDocument(unit, site('pharmacy-3')), p3);
    const sig = fromBase64(good.signature);
    sig[10] ^= 0x01;
    const after = signCapture(dispenseDocument(unit, site('pharmacy-3')), p3);
    (after.document as any).epcisBody.eventList[0].epcList = [api.demo.units.A2602[2]];
    const stranger = ed25519.generateSecretKey();
    const attempts: Array<[string, unknown, string]> = [
      ['flipped bit', { ...good, signature: toBase64(sig) }, 'LEDGER_BAD_SIGNATURE'],
      ['changed after signing', after, 'LEDGER_BAD_SIGNATURE'],
      ["pharmacy 5's key presented as pharmacy 3's", signCapture(dispenseDocument(unit, site('pharmacy-3')), { ...p5, party: 'pharmacy-3', keyId: p3.keyId }), 'LEDGER_BAD_SIGNATURE'],
      ['a key the ledger never registered', signCapture(dispenseDocument(unit, site('pharmacy-3')), { party: 'pharmacy-3', keyId: 'ffffffffffffffff', secretKey: stranger }), 'LEDGER_UNKNOWN_KEY'],
      ['an all-zero signature', { ...good, signature: toBase64(new Uint8Array(64)) }, 'LEDGER_BAD_SIGNATURE'],
    ];
    const before = size();
    for (const [what, body, code] of attempts) {
      const r = await http(api.base, 'POST', '/v1/capture', { token: api.tokens.dispenser, body });
      expect({ what, status: r.status, code: r.json?.error?.code }).toEqual({ what, status: 422, code });
    }
    expect(size()).toBe(before);
  });
});

describe('replayed signatures', () => {
  it('a captured document sent again writes nothing; its signature on another document, time or token is refused; the same event re-signed is a duplicate', async () => {
    const p3 = api.keys.get('pharmacy-3')!;
    const unit = api.demo.units.A2602[3];
    const doc = dispenseDocument(unit, site('pharmacy-3'), '2026-03-22T10:00:00.000+08:00');
    const first = signCapture(doc, p3, '2026-03-22T02:00:00Z');
    const ok = await http(api.base, 'POST', '/v1/capture', { token: api.tokens.dispenser, body: first });
    expect(ok.status).toBe(201);
    const before = size();

    const again = await http(api.base, 'POST', '/v1/capture', { token: api.tokens.dispenser, body: first });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ position: ok.json.position, duplicate: true });

    const otherDoc = dispenseDocument(api.demo.units.A2602[4], site('pharmacy-3'), '2026-03-22T10:00:00.000+08:00');
    const transplanted = { ...first, document: otherDoc };
    const retimed = { ...first, claimedTime: '2026-03-23T02:00:00Z' };
    const asOther = issueToken(api.app.drugtrace.db, { party: 'pharmacy-5', role: 'dispenser' }).token;
    for (const [body, token, status, code] of [
      [transplanted, api.tokens.dispenser, 422, 'LEDGER_BAD_SIGNATURE'],
      [retimed, api.tokens.dispenser, 422, 'LEDGER_BAD_SIGNATURE'],
      [first, asOther, 403, 'AUTH_SIGNER_MISMATCH'],
      // The same event signed afresh: a new entry body, but the event hash is already stored.
      [signCapture(doc, p3, '2026-03-24T02:00:00Z'), api.tokens.dispenser, 409, 'TRACE_DUPLICATE_EVENT'],
    ] as const) {
      const r = await http(api.base, 'POST', '/v1/capture', { token, body });
      expect({ status: r.status, code: r.json?.error?.code }).toEqual({ status, code });
    }
    expect(size()).toBe(before);
  });
});

describe('revoked keys and tokens', () => {
  it("a revoked key's new documents are refused while its old entries still verify; a revoked token is refused", async () => {
    const p5 = api.keys.get('pharmacy-5')!;
    const token = issueToken(api.app.drugtrace.db, { party: 'pharmacy-5', role: 'dispenser' });
    api.app.drugtrace.ledger.revokeKey('pharmacy-5', p5.keyId, 'key stolen');
    const before = size();
    const r = await http(api.base, 'POST', '/v1/capture', { token: token.token, body: signCapture(dispenseDocument(api.demo.units.A2602[7], site('pharmacy-5')), p5) });
    expect({ status: r.status, code: r.json?.error?.code }).toEqual({ status: 422, code: 'LEDGER_KEY_REVOKED' });
    expect(size()).toBe(before);
    expect(verifyLedger(api.app.drugtrace.ledger.store).failure).toBeUndefined();

    expect(revokeToken(api.app.drugtrace.db, token.tokenId)).toBe(true);
    const revoked = await http(api.base, 'GET', `/v1/units/${encodeURIComponent(api.demo.units.A2602[7])}/verify`, { token: token.token });
    expect({ status: revoked.status, code: revoked.json?.error?.code }).toEqual({ status: 401, code: 'AUTH_INVALID_TOKEN' });
  });
});

describe("acting as somebody else / at somebody else's site", () => {
  it("pharmacy 3's token and key cannot dispense at pharmacy 5's site, see a unit it never held, or sign as pharmacy 1", async () => {
    const p3 = api.keys.get('pharmacy-3')!;
    const p1 = api.keys.get('pharmacy-1')!;
    const unitAtP5 = api.demo.units.A2602[8];
    const before = size();
    const foreign = await http(api.base, 'POST', '/v1/capture', { token: api.tokens.dispenser, body: signCapture(dispenseDocument(unitAtP5, site('pharmacy-5')), p3) });
    expect({ status: foreign.status, code: foreign.json?.error?.code }).toEqual({ status: 422, code: 'TRACE_FOREIGN_LOCATION' });
    const signedAsP1 = await http(api.base, 'POST', '/v1/capture', { token: api.tokens.dispenser, body: signCapture(dispenseDocument(api.demo.units.A2601[2], site('pharmacy-1')), p1) });
    expect({ status: signedAsP1.status, code: signedAsP1.json?.error?.code }).toEqual({ status: 403, code: 'AUTH_SIGNER_MISMATCH' });
    const history = await http(api.base, 'GET', `/v1/units/${encodeURIComponent(unitAtP5)}/history`, { token: api.tokens.dispenser });
    expect({ status: history.status, code: history.json?.error?.code }).toEqual({ status: 403, code: 'AUTH_NOT_VISIBLE' });
    const stranger = issueToken(api.app.drugtrace.db, { party: 'mah-elsewhere', role: 'manufacturer' }).token;
    const report = await http(api.base, 'GET', `/v1/recalls/report?gtin=${api.demo.lookAt.recallLot.gtin}&lot=${api.demo.lookAt.recallLot.lot}`, { token: stranger });
    expect({ status: report.status, code: report.json?.error?.code }).toEqual({ status: 403, code: 'AUTH_FORBIDDEN' });
    expect(size()).toBe(before);
  });
});

describe('brute-forced tokens and request floods', () => {
  it('guessing tokens is cut off after 20 failures (429 before the token is looked at); a flood from one token is cut off at its limit; public routes go on', async () => {
    const limited = await startApi({ rateLimit: { max: 30, timeWindowMs: 60_000 } });
    try {
      const unit = encodeURIComponent(limited.demo.lookAt.okToDispense);
      const statuses: number[] = [];
      for (let i = 0; i < 25; i++) {
        const guess = Buffer.alloc(32, i).toString('base64url');
        statuses.push((await http(limited.base, 'GET', `/v1/units/${unit}/verify`, { token: guess })).status);
      }
      expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
      expect(statuses.slice(20).every((s) => s === 429)).toBe(true);
      // Now even the right token is turned away from this address on guarded routes, with a Retry-After.
      const right = await http(limited.base, 'GET', `/v1/units/${unit}/verify`, { token: limited.tokens.dispenser });
      expect({ status: right.status, code: right.json?.error?.code }).toEqual({ status: 429, code: 'RATE_LIMITED' });
      expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await http(limited.base, 'GET', `/v1/verify/public/${unit}`)).status).toBe(200);
    } finally {
      await limited.close();
    }

    const flood = await startApi({ rateLimit: { max: 30, timeWindowMs: 60_000 } });
    try {
      const unit = encodeURIComponent(flood.demo.lookAt.okToDispense);
      const statuses: number[] = [];
      for (let i = 0; i < 35; i++) statuses.push((await http(flood.base, 'GET', `/v1/units/${unit}/verify`, { token: flood.tokens.regulator })).status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(30);
      expect(statuses.slice(30).every((s) => s === 429)).toBe(true);
      // Another caller has its own bucket.
      expect((await http(flood.base, 'GET', `/v1/units/${unit}/verify`, { token: flood.tokens.dispenser })).status).toBe(200);
    } finally {
      await flood.close();
    }
  });
});

describe('path traversal on static files', () => {
  const secretMarkers = () => [
    readFileSync(`${api.dbFile}.operator-key`, 'latin1').slice(0, 24),
    '"devDependencies"',
    'root:x:0:0',
    'SQLite format 3',
  ];
  const probes = [
    '/docs/static/../../../package.json',
    '/docs/static/..%2f..%2f..%2fpackage.json',
    '/docs/static/%2e%2e/%2e%2e/%2e%2e/package.json',
    '/docs/static/%252e%252e%252fpackage.json',
    '/docs/static/..%5c..%5c..%5cpackage.json',
    '/docs/static//etc/passwd',
    '/docs/static/%2fetc%2fpasswd',
    '/web/../package.json',
    '/web/..%2f..%2fpackage.json',
    '/web/%2e%2e/%2e%2e/package.json',
    '/web/%2e%2e%2f%2e%2e%2fpackage.json',
    '/web/..%5c..%5cpackage.json',
    '/web//etc/passwd',
    '/web/%2fetc%2fpasswd',
    '/web/static/..%2f..%2fpackage.json',
    '/web/assets/..%2f..%2f..%2fpackage.json',
    '/web/assets/%2e%2e%2fplugin.ts',
    '/web/.%2e/.%2e/package.json',
    '/web/index.html%00.css',
    '/web/..%c0%af..%c0%afpackage.json',
  ];

  it('the real assets are served (the probes below reach a live static route)', async () => {
    expect((await rawGet(api.base, '/web/style.css')).status).toBe(200);
    expect((await rawGet(api.base, '/docs/static/swagger-ui.css')).status).toBe(200);
  });

  it.each(probes)('%s: no file outside the asset roots, no 5xx', async (path) => {
    const r = await rawGet(api.base, path.replace('DB', encodeURIComponent(api.dbFile)));
    expect(r.status).toBeGreaterThanOrEqual(300);
    expect(r.status).toBeLessThan(500);
    for (const marker of secretMarkers()) expect(r.body).not.toContain(marker);
  });

  it('the database and its key file cannot be reached by absolute path either', async () => {
    for (const prefix of ['/web/', '/docs/static/', '/web/assets/']) {
      for (const file of [api.dbFile, `${api.dbFile}.operator-key`]) {
        const r = await rawGet(api.base, prefix + encodeURIComponent(file));
        expect(r.status).toBeGreaterThanOrEqual(400);
        for (const marker of secretMarkers()) expect(r.body).not.toContain(marker);
      }
    }
  });
});

describe('oversized and deeply nested JSON', () => {
  const sub = () => api.keys.get('pharmacy-3')!;

  it('a body over the limit is 413 BODY_TOO_LARGE', async () => {
    const before = size();
    const r = await http(api.base, 'POST', '/v1/capture', { token: api.tokens.dispenser, raw: `{"document":"${'x'.repeat(9 * 1024 * 1024)}"}` });
    expect({ status: r.status, code: r.json?.error?.code }).toEqual({ status: 413, code: 'BODY_TOO_LARGE' });
    expect(size()).toBe(before);
  });

  it.each([
    ['arrays, 100,000 deep', () => '['.repeat(100_000) + ']'.repeat(100_000)],
    ['objects as the document, 50,000 deep', () => `{"document":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)},"signer":{"party":"pharmacy-3","keyId":"${sub().keyId}"},"claimedTime":"2026-03-21T10:00:00Z","signature":"AAAA"}`],
    ['arrays in an event field, 50,000 deep', () => {
      const doc = JSON.stringify(dispenseDocument(api.demo.units.A2602[5], site('pharmacy-3'))).replace('"action":"OBSERVE"', `"action":"OBSERVE","x:deep":${'['.repeat(50_000)}${']'.repeat(50_000)}`);
      return `{"document":${doc},"signer":{"party":"pharmacy-3","keyId":"${sub().keyId}"},"claimedTime":"2026-03-21T10:00:00Z","signature":"AAAA"}`;
    }],
    ['objects in the signer, 50,000 deep', () => `{"document":{},"signer":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)},"claimedTime":"2026-03-21T10:00:00Z","signature":"AAAA"}`],
  ])('%s: a 4xx in the one error shape, nothing written, the server goes on', async (_what, body) => {
    const before = size();
    for (const headers of [{}, { 'idempotency-key': `deep-${_what.length}` }] as Array<Record<string, string>>) {
      const r = await http(api.base, 'POST', '/v1/capture', { token: api.tokens.dispenser, raw: body(), headers });
      expect(r.status, r.text.slice(0, 300)).toBeGreaterThanOrEqual(400);
      expect(r.status, r.text.slice(0, 300)).toBeLessThan(500);
      expect(typeof r.json?.error?.code).toBe('string');
    }
    expect(size()).toBe(before);
    expect((await http(api.base, 'GET', '/health')).status).toBe(200);
  });
});

describe('SQL metacharacters in every path and query parameter', () => {
  it('never 5xx, only documented codes, and the tables are untouched', async () => {
    const errors = documentedErrors();
    const routes = await openApiRoutes(api.base);
    const db = api.app.drugtrace.db;
    const tokensBefore = db.prepare('SELECT COUNT(*) FROM api_tokens').pluck().get();
    const before = size();
    const problems: string[] = [];
    let sent = 0;
    for (const route of routes.filter((r) => r.method === 'GET' && (r.pathParams.length > 0 || r.query.length > 0))) {
      const role = (route.roles[0] ?? 'regulator') as keyof ApiFixture['tokens'];
      const token = api.tokens[role] ?? api.tokens.regulator;
      const names = [...route.pathParams.map((p) => ({ where: 'path', name: p.name })), ...route.query.map((q) => ({ where: 'query', name: q.name }))];
      for (const target of names) {
        for (const nasty of NASTY_STRINGS) {
          let path = route.path;
          for (const p of route.pathParams) path = path.replace(`{${p.name}}`, encodeURIComponent(p.name === target.name && target.where === 'path' ? nasty : api.demo.lookAt.okToDispense));
          const query = new URLSearchParams();
          for (const q of route.query) if (q.required || (q.name === target.name && target.where === 'query')) query.set(q.name, q.name === target.name ? nasty : q.name === 'lot' ? 'A2601' : '1');
          const url = query.size > 0 ? `${path}?${query}` : path;
          const res = await fetch(`${api.base}${url}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(20_000) });
          const text = /event-stream|ndjson/.test(res.headers.get('content-type') ?? '') ? (await res.body?.cancel(), '') : await res.text();
          sent++;
          if (res.status >= 500) problems.push(`${url}: ${res.status} ${text.slice(0, 200)}`);
          else if (res.status >= 400) {
            const wrong = undocumented(errors, res.status, (JSON.parse(text) as { error?: { code?: string } }).error?.code);
            if (wrong) problems.push(`${url}: ${wrong}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
    expect(sent).toBeGreaterThan(100);
    expect(db.prepare('SELECT COUNT(*) FROM api_tokens').pluck().get()).toBe(tokensBefore);
    expect(size()).toBe(before);
    expect(verifyLedger(api.app.drugtrace.ledger.store).failure).toBeUndefined();
  }, 120_000);
});

// The fork is made by copying the SQLite file and its key file, which PostgreSQL databases cannot
// be; the witness's check (ledger/witness.ts) is the same whichever engine served the views.
describe.skipIf(onPostgres)('a witness fed a forked log (split view)', () => {
  it('cosigns the honest checkpoint, then refuses the fork at the same size and its extension (WITNESS_INCONSISTENT)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drugtrace-fork-'));
    try {
      const honestFile = join(dir, 'honest.db');
      const setup = Ledger.init(honestFile, { origin: 'fork.example/log' });
      const acme = addParty(setup, 'acme');
      setup.append(batchDocument(acme, 0, 4));
      setup.close();
      // The operator keeps a second copy of the log, with its key: the same history so far.
      const forkFile = join(dir, 'fork.db');
      copyFileSync(honestFile, forkFile);
      copyFileSync(`${honestFile}.operator-key`, `${forkFile}.operator-key`);
      const honest = Ledger.open(honestFile);
      const fork = Ledger.open(forkFile);
      try {
        const witness = witnessFor(honest);
        const start = honest.checkpoint();
        await witness.cosign({ checkpoint: start.note, proof: [] });

        honest.append(batchDocument(acme, 1, 4));
        fork.append(batchDocument(acme, 99, 4));
        const h1 = honest.checkpoint();
        const f1 = fork.checkpoint();
        expect(f1.size).toBe(h1.size);
        await witness.cosign({ checkpoint: h1.note, proof: honest.consistencyProof(start.size, h1.size).proof, oldSize: start.size });

        const refused = async (p: Promise<unknown>) => p.then(() => 'cosigned', (err: { code?: string }) => err.code);
        // The other view at the same size.
        expect(await refused(witness.cosign({ checkpoint: f1.note, proof: [], oldSize: h1.size }))).toBe('WITNESS_INCONSISTENT');
        // The other view grown further, with a proof that is valid for the fork itself.
        fork.append(batchDocument(acme, 100, 4));
        const f2 = fork.checkpoint();
        expect(await refused(witness.cosign({ checkpoint: f2.note, proof: fork.consistencyProof(h1.size, f2.size).proof, oldSize: h1.size }))).toBe('WITNESS_INCONSISTENT');
        // The honest log grown further is still cosigned.
        honest.append(batchDocument(acme, 2, 4));
        const h2 = honest.checkpoint();
        expect(await refused(witness.cosign({ checkpoint: h2.note, proof: honest.consistencyProof(h1.size, h2.size).proof, oldSize: h1.size }))).toBe('cosigned');
      } finally {
        honest.close();
        fork.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
