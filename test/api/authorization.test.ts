/**
 * The authorization matrix over a real server: every route of the OpenAPI document against every
 * role, no token and a revoked token, each cell asserted. The expected roles are written out here
 * (the same table as docs/api.md), not read from the server, and a route the server publishes
 * without a row here fails the test. Then the cross-party rules: a party cannot read a
 * competitor's shipments, cannot record events at another party's location, and cannot sign as
 * another party.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, revokeToken, type ApiRole } from '../../api/auth.ts';
import { ApiClientError } from '../../api/client.ts';
import { signSubmission } from '../../api/sign.ts';
import { MAH, NORTH, SOUTH, epcisDocument, ledgerState, observe, startServer, type ApiServer } from './fixture.ts';

const ROLES: readonly ApiRole[] = ['manufacturer', 'distributor', 'dispenser', 'regulator', 'witness', 'admin'];
const ALL: readonly ApiRole[] = ROLES;
const PARTIES: readonly ApiRole[] = ['manufacturer', 'distributor', 'dispenser'];
const READERS: readonly ApiRole[] = ['manufacturer', 'distributor', 'dispenser', 'regulator'];

/** Who may pass each route's authentication: 'public', or the roles. */
const MATRIX: Record<string, 'public' | readonly ApiRole[]> = {
  'GET /health': 'public',
  'GET /metrics': 'public',
  'GET /v1/verify/public/{code}': 'public',
  'GET /01/{gtin}/21/{serial}': 'public',
  'GET /v1/checkpoint': 'public',
  'GET /v1/proofs/inclusion': 'public',
  'GET /v1/proofs/consistency': 'public',
  'POST /v1/capture': PARTIES,
  'GET /v1/units/{code}/history': READERS,
  'GET /v1/units/{code}/verify': READERS,
  'POST /v1/units/{code}/dispense': ['dispenser'],
  'POST /v1/units/{code}/undo-dispense': ['dispenser'],
  'GET /v1/units/{code}/proof-bundle': READERS,
  'GET /v1/events': READERS,
  'GET /v1/recalls/report': ['manufacturer', 'regulator'],
  'GET /v1/ledger/entries': ['regulator'],
  'GET /v1/witness/checkpoint': ['witness'],
  'POST /v1/witness/cosignatures': ['witness'],
  'POST /v1/tokens': ['admin'],
  'GET /v1/tokens': ['admin'],
  'POST /v1/tokens/{tokenId}/revoke': ['admin'],
  'POST /v1/parties': ['admin', 'regulator'],
  'GET /v1/parties': ALL,
  'GET /v1/parties/{party}': ALL,
  'POST /v1/parties/{party}/keys': ['admin', 'regulator'],
  'POST /v1/parties/{party}/keys/{keyId}/rotate': ['admin', 'regulator'],
  'POST /v1/parties/{party}/keys/{keyId}/revoke': ['admin', 'regulator'],
  'POST /v1/products': ['manufacturer', 'admin'],
  'GET /v1/products': ['manufacturer', 'regulator', 'admin'],
  'GET /v1/products/{id}': ['manufacturer', 'regulator', 'admin'],
  'POST /v1/products/{id}/codes': ['manufacturer'],
  'POST /v1/recalls': ['manufacturer', 'regulator'],
  'GET /v1/recalls': ['manufacturer', 'regulator'],
  'GET /v1/recalls/{id}': ['manufacturer', 'regulator'],
  'GET /v1/streams/recalls': READERS,
  'GET /v1/streams/alerts': ['regulator'],
  'POST /v1/webhooks': READERS,
  'GET /v1/webhooks': READERS,
  'DELETE /v1/webhooks/{id}': READERS,
  'GET /v1/webhooks/{id}/deliveries': READERS,
  'GET /v1/alerts': READERS,
  'GET /v1/alerts/{id}': READERS,
  'POST /v1/alerts/{id}/review': ['regulator'],
  'GET /v1/detectors': READERS,
};

type Caller = ApiRole | 'none' | 'revoked';
const CALLERS: readonly Caller[] = [...ROLES, 'none', 'revoked'];

let s: ApiServer;
let revoked: string;
let routes: string[];

beforeAll(async () => {
  s = await startServer({ auth: { failureLimit: 1_000_000 } });
  const t = issueToken(s.app.drugtrace.db, { party: 'operator', role: 'admin' });
  revokeToken(s.app.drugtrace.db, t.tokenId);
  revoked = t.token;
  const doc = (await (await fetch(`${s.base}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m)).map((m) => `${m.toUpperCase()} ${path}`));
});
afterAll(async () => s?.close());

/** A request that reaches the route: path parameters filled in, the query it needs, `{}` as body. */
function probe(route: string): { method: string; url: string; body?: string } {
  const [method, path] = route.split(' ');
  const code = s.demo.lookAt.history;
  const [, gtin, serial] = /\/01\/(\d{14})\/21\/(.+)$/.exec(code)!;
  const values: Record<string, string> = { code: encodeURIComponent(code), gtin, serial, tokenId: 'aaaaaaaaaaaa', party: MAH.id, keyId: 'no-such-key', id: '1' };
  const filled = path.replace(/\{(\w+)\}/g, (_m, name: string) => values[name] ?? 'x');
  const queries: Record<string, string> = {
    '/v1/recalls/report': `?lot=${s.demo.lookAt.recallLot.lot}`,
    '/v1/proofs/inclusion': '?position=0',
    '/v1/proofs/consistency': '?from=0',
    '/v1/witness/checkpoint': '?oldSize=0',
  };
  return { method, url: `${s.base}${filled}${queries[path] ?? ''}`, ...(method === 'POST' ? { body: '{}' } : {}) };
}

async function call(route: string, caller: Caller): Promise<{ status: number; code?: string }> {
  const { method, url, body } = probe(route);
  const headers: Record<string, string> = {};
  if (caller === 'revoked') headers.authorization = `Bearer ${revoked}`;
  else if (caller !== 'none') headers.authorization = `Bearer ${s.tokens[caller]}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const controller = new AbortController();
  const res = await fetch(url, { method, headers, body, signal: controller.signal });
  // Streams (server-sent events, NDJSON) stay open: the status is the answer.
  if (res.ok && /event-stream|ndjson/.test(res.headers.get('content-type') ?? '')) {
    controller.abort();
    return { status: res.status };
  }
  const text = await res.text();
  return { status: res.status, code: /"code":"([A-Z0-9_]+)"/.exec(text)?.[1] };
}

/** What a cell must answer: 'passes' authentication (any answer but an auth refusal), or the refusal. */
function expected(route: string, caller: Caller): 'passes' | { status: number; code: string } {
  const allowed = MATRIX[route];
  if (allowed === 'public') return 'passes';
  if (caller === 'none') return { status: 401, code: 'AUTH_REQUIRED' };
  if (caller === 'revoked') return { status: 401, code: 'AUTH_INVALID_TOKEN' };
  return allowed.includes(caller) ? 'passes' : { status: 403, code: 'AUTH_FORBIDDEN' };
}

describe('the authorization matrix', () => {
  it('has a row for every route the server publishes, and no row for a route it does not', () => {
    expect(routes.length).toBeGreaterThan(30);
    expect(routes.filter((r) => !(r in MATRIX))).toEqual([]);
    expect(Object.keys(MATRIX).filter((r) => !routes.includes(r))).toEqual([]);
  });

  it('answers every route x every role, no token and a revoked token as the table says', async () => {
    const wrong: string[] = [];
    let cells = 0;
    for (const route of routes) {
      for (const caller of CALLERS) {
        const want = expected(route, caller);
        const got = await call(route, caller);
        cells++;
        const authRefusal = got.status === 401 || (got.status === 403 && /^AUTH_(FORBIDDEN|REQUIRED|INVALID_TOKEN)$/.test(got.code ?? ''));
        if (want === 'passes') {
          if (authRefusal || got.status >= 500) wrong.push(`${route} as ${caller}: ${got.status} ${got.code ?? ''}, expected to pass authentication`);
        } else if (got.status !== want.status || got.code !== want.code) {
          wrong.push(`${route} as ${caller}: ${got.status} ${got.code ?? ''}, expected ${want.status} ${want.code}`);
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(cells).toBe(routes.length * CALLERS.length);
  }, 120_000);
});

describe('parties against each other', () => {
  const token = (party: string, role: ApiRole) => issueToken(s.app.drugtrace.db, { party, role }).token;

  async function refusal(promise: Promise<unknown>): Promise<ApiClientError> {
    try {
      await promise;
    } catch (err) {
      return err as ApiClientError;
    }
    throw new Error('expected a refusal');
  }

  it("cannot read a competitor's shipments: not in the event query, not through a unit's history", async () => {
    const south = s.client(token(SOUTH.id, 'distributor'));
    const regulator = s.client(s.tokens.regulator);
    const northShipping = (await regulator.events({ EQ_bizStep: 'shipping' })).epcisBody.queryResults.resultsBody.eventList.filter((e) => JSON.stringify(e).includes(NORTH.location));
    expect(northShipping.length).toBeGreaterThan(0);
    const seen = (await south.events({ EQ_bizStep: 'shipping' })).epcisBody.queryResults.resultsBody.eventList;
    const northIds = new Set(northShipping.map((e) => e.eventID));
    expect(seen.filter((e) => northIds.has(e.eventID))).toEqual([]);
    expect(seen.every((e) => JSON.stringify(e).includes(SOUTH.location))).toBe(true);
    // A unit North shipped and South never held.
    let probed = 0;
    for (const e of northShipping) {
      for (const code of [...((e.epcList as string[]) ?? []), ...(e.parentID ? [e.parentID as string] : [])]) {
        const history = await regulator.unitHistory(code);
        if (history.events.some((h) => h.party === SOUTH.id) || history.unit?.custodian === SOUTH.id) continue;
        expect(await refusal(south.unitHistory(code))).toMatchObject({ status: 403, code: 'AUTH_NOT_VISIBLE' });
        expect(await refusal(south.proofBundle(code))).toMatchObject({ status: 403, code: 'AUTH_NOT_VISIBLE' });
        probed++;
      }
    }
    expect(probed).toBeGreaterThan(0);
  });

  it("cannot record events at another party's location, and nothing is written", async () => {
    const before = ledgerState(s);
    const north = s.client(s.tokens.distributor);
    const doc = epcisDocument([observe([s.demo.lookAt.okToDispense], 'inspecting', 'active', SOUTH.location)]);
    const err = await refusal(north.signAndCapture(doc, s.keys.get(NORTH.id)!));
    expect(err).toMatchObject({ status: 422, code: 'TRACE_FOREIGN_LOCATION' });
    expect(ledgerState(s)).toEqual(before);
  });

  it('cannot sign as another party: not under its name, not with its key, not with a key of its own pretending', async () => {
    const before = ledgerState(s);
    const north = s.client(s.tokens.distributor);
    const doc = epcisDocument([observe([s.demo.lookAt.okToDispense], 'inspecting', 'active', NORTH.location)]);
    const southKey = s.keys.get(SOUTH.id)!;
    const northKey = s.keys.get(NORTH.id)!;
    // South's name and key under North's token.
    expect(await refusal(north.capture(signSubmission(doc, southKey)))).toMatchObject({ status: 403, code: 'AUTH_SIGNER_MISMATCH' });
    // North's name, South's key id.
    expect(await refusal(north.capture(signSubmission(doc, { ...southKey, party: NORTH.id })))).toMatchObject({ status: 422, code: 'LEDGER_UNKNOWN_KEY' });
    // North's name and key id, signed with South's secret.
    expect(await refusal(north.capture(signSubmission(doc, { ...northKey, secretKey: southKey.secretKey })))).toMatchObject({ status: 422, code: 'LEDGER_BAD_SIGNATURE' });
    expect(ledgerState(s)).toEqual(before);
  });
});
