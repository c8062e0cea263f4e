/**
 * Every route of the OpenAPI document, fuzzed over real HTTP with fast-check: path parameters,
 * query parameters and bodies that fit the route's schema, the same with one part broken, and
 * garbage, sent with every role's token, no token or a bad one. The server never answers 5xx,
 * every refusal is the one error shape with a code docs/api.md lists under that status, and the
 * ledger still verifies afterwards. Capture is also fed EPCIS documents mutated and then signed by
 * the token's own party, so the mutations reach the EPCIS and lifecycle checks behind the signature.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { signCapture } from '../../trace/capture.ts';
import { verifyLedger } from '../../ledger/verify.ts';
import type { ApiRole } from '../../api/auth.ts';
import { documentedErrors, NASTY_STRINGS, openApiRoutes, ROLE_PARTIES, startApi, undocumented, type ApiFixture, type RouteSpec } from '../reliability/api-fixture.ts';
import { anyJson, broken, fitting, mutate } from '../reliability/schema-arbitrary.ts';
import { commissionDocument, loadUnit } from '../reliability/harness.ts';

const RUNS = Number(process.env.API_FUZZ_RUNS ?? 40);

let api: ApiFixture;
let routes: RouteSpec[];
const errors = documentedErrors();
const problems: string[] = [];
/** Status counts per route, to see that the input reaches past validation into the handlers. */
const seen = new Map<string, Map<string, number>>();

beforeAll(async () => {
  // No rate limits here: the attack tests cover them; here every request must reach its route.
  api = await startApi({ rateLimit: false, auth: { failureLimit: 1_000_000 } });
  routes = await openApiRoutes(api.base);
});
afterAll(async () => api?.close());

type Caller = ApiRole | 'none' | 'bad-token';
const callers: Caller[] = ['manufacturer', 'distributor', 'dispenser', 'regulator', 'witness', 'admin', 'none', 'bad-token'];

interface Sent {
  route?: string;
  method: string;
  path: string;
  caller: Caller;
  body?: { raw: string; type: string };
}

/** Sends one request and records anything that breaks the contract. */
async function send(req: Sent): Promise<number> {
  const headers: Record<string, string> = {};
  if (req.caller === 'bad-token') headers.authorization = 'Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
  else if (req.caller !== 'none') headers.authorization = `Bearer ${api.tokens[req.caller]}`;
  if (req.body) headers['content-type'] = req.body.type;
  const res = await fetch(`${api.base}${req.path}`, { method: req.method, headers, body: req.body?.raw, signal: AbortSignal.timeout(20_000) });
  const type = res.headers.get('content-type') ?? '';
  // Streams (server-sent events, NDJSON) stay open: the headers are the answer here.
  if (res.ok && /event-stream|ndjson/.test(type)) {
    await res.body?.cancel();
    return res.status;
  }
  const text = await res.text();
  const tally = seen.get(req.route ?? req.method) ?? new Map<string, number>();
  const label = res.status >= 400 ? `${res.status} ${/"code":"([A-Z0-9_]+)"/.exec(text)?.[1] ?? ''}` : String(res.status);
  tally.set(label, (tally.get(label) ?? 0) + 1);
  seen.set(req.route ?? req.method, tally);
  const where = `${req.method} ${req.path.slice(0, 200)} as ${req.caller}${req.body ? ` with ${req.body.raw.slice(0, 200)}` : ''}`;
  if (res.status >= 500) problems.push(`${where}: ${res.status} ${text.slice(0, 300)}`);
  else if (res.status >= 400) {
    let code: unknown;
    try {
      const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
      code = body.error?.code;
      if (typeof body.error?.message !== 'string') problems.push(`${where}: ${res.status} without a message: ${text.slice(0, 200)}`);
    } catch {
      problems.push(`${where}: ${res.status} not JSON: ${text.slice(0, 200)}`);
    }
    const wrong = undocumented(errors, res.status, code);
    if (wrong) problems.push(`${where}: ${wrong}`);
  }
  return res.status;
}

/** A path parameter: fitting its schema, a real demo code, a nasty string or any string. */
function pathValue(schema: Record<string, any>): fc.Arbitrary<string> {
  const demoCodes = [...Object.values(api.demo.units).flat().slice(0, 5), api.demo.lookAt.neverIssued, api.demo.cases[0].code];
  return fc
    .oneof(
      fitting(schema).map(String),
      fc.constantFrom(...demoCodes),
      fc.constantFrom(...NASTY_STRINGS),
      fc.string({ minLength: 1, maxLength: 60 }),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
    )
    .filter((s) => s.length > 0);
}

function requestFor(route: RouteSpec): fc.Arbitrary<Sent> {
  const params = fc.tuple(...route.pathParams.map((p) => pathValue(p.schema)));
  const query = fc.tuple(
    ...route.query.map((q) =>
      fc.option(
        fc.oneof({ weight: 4, arbitrary: fitting(q.schema) }, { weight: 1, arbitrary: fc.constantFrom(...NASTY_STRINGS) }, { weight: 1, arbitrary: fc.string() }).map(String),
        { nil: undefined, freq: q.required ? 8 : 3 },
      ),
    ),
    fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.tuple(fc.constantFrom('unknown', 'limit', 'x'), fc.constantFrom(...NASTY_STRINGS)) }),
  );
  // Mostly a caller the route admits (so the input reaches the handler), sometimes anyone.
  const admitted = callers.filter((c) => route.roles.includes(c));
  const caller = admitted.length > 0 ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...admitted) }, { weight: 1, arbitrary: fc.constantFrom(...callers) }) : fc.constantFrom(...callers);
  const body: fc.Arbitrary<Sent['body']> = route.body
    ? fc.oneof(
        { weight: 4, arbitrary: fitting(route.body).map((v) => ({ raw: JSON.stringify(v), type: 'application/json' })) },
        { weight: 4, arbitrary: broken(fitting(route.body)).map((v) => ({ raw: JSON.stringify(v) ?? 'null', type: 'application/json' })) },
        { weight: 1, arbitrary: anyJson.map((v) => ({ raw: JSON.stringify(v) ?? 'null', type: 'application/json' })) },
        { weight: 1, arbitrary: fc.string().map((s) => ({ raw: s, type: 'application/json' })) },
        { weight: 1, arbitrary: fc.string().map((s) => ({ raw: s, type: fc.sample(fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/xml'), 1)[0] })) },
      )
    : fc.constant(undefined);
  return fc.tuple(params, query, body, caller).map(([ps, qs, b, caller]) => {
    let path = route.path;
    route.pathParams.forEach((p, i) => (path = path.replace(`{${p.name}}`, encodeURIComponent(ps[i]))));
    const search = new URLSearchParams();
    route.query.forEach((q, i) => {
      const v = qs[i];
      if (typeof v === 'string') search.set(q.name, v);
    });
    const extra = qs[route.query.length] as [string, string] | undefined;
    if (extra) search.append(extra[0], extra[1]);
    const s = search.toString();
    return { route: `${route.method} ${route.path}`, method: route.method, path: s ? `${path}?${s}` : path, caller, body: b };
  });
}

describe('every OpenAPI route under fuzzed input', () => {
  it('the OpenAPI document lists the routes the server has', () => {
    const names = routes.map((r) => `${r.method} ${r.path}`);
    for (const known of ['POST /v1/capture', 'GET /v1/units/{code}/history', 'GET /v1/recalls/report', 'GET /v1/proofs/inclusion', 'POST /v1/tokens']) expect(names).toContain(known);
  });

  it('never answers 5xx and refuses only with documented codes', async () => {
    const before = api.app.drugtrace.ledger.size();
    for (const route of routes) {
      await fc.assert(
        fc.asyncProperty(requestFor(route), async (req) => {
          await send(req);
        }),
        { numRuns: RUNS },
      );
    }
    if (process.env.API_FUZZ_REPORT) for (const [route, tally] of seen) console.log(route, JSON.stringify(Object.fromEntries(tally)));
    expect(problems.slice(0, 20)).toEqual([]);
    // Fuzzed input may write only through the capture route's own rules; whatever it wrote verifies.
    expect(api.app.drugtrace.ledger.size()).toBeGreaterThanOrEqual(before);
    expect(verifyLedger(api.app.drugtrace.ledger.store).failure).toBeUndefined();
  }, 240_000);
});

describe('POST /v1/capture with mutated EPCIS documents signed by the caller', () => {
  const signerRoles: ApiRole[] = ['manufacturer', 'distributor', 'dispenser'];

  it('answers 201/200 or a documented refusal, never 5xx, and a refused document writes nothing', async () => {
    let serial = 0;
    const outcomes = new Map<number, number>();
    const base = () => {
      const d = api.demo;
      return fc.constantFrom(
        commissionDocument([loadUnit(`fz.${serial++}`), loadUnit(`fz.${serial++}`)]),
        commissionDocument([d.units.A2602[3]]),
        {
          ...commissionDocument([]),
          epcisBody: {
            eventList: [
              { type: 'ObjectEvent', eventTime: '2026-03-21T10:00:00.000+08:00', eventTimeZoneOffset: '+08:00', epcList: [d.units.A2602[4]], action: 'OBSERVE', bizStep: 'dispensing', disposition: 'dispensed', readPoint: { id: 'https://id.gs1.org/414/9521403000004' } },
              { type: 'AggregationEvent', eventTime: '2026-03-21T11:00:00.000+08:00', eventTimeZoneOffset: '+08:00', parentID: d.cases[1].code, childEPCs: [d.units.A2601[7]], action: 'ADD', bizStep: 'packing', disposition: 'container_closed', readPoint: { id: 'https://id.gs1.org/414/9521403000004' } },
            ],
          },
        },
      );
    };
    const mutated = fc.oneof(
      fc.constant(null).chain(() => base()),
      fc.tuple(fc.constant(null).chain(() => base()), fc.array(fc.nat(), { minLength: 1, maxLength: 7 }), fc.constantFrom('replace', 'delete', 'add') as fc.Arbitrary<'replace' | 'delete' | 'add'>, fc.oneof(anyJson, fc.constantFrom(...NASTY_STRINGS))).map(([d, p, how, junk]) =>
        mutate(d, p, how, junk),
      ),
    );
    await fc.assert(
      fc.asyncProperty(mutated, fc.constantFrom(...signerRoles), async (document, role) => {
        const party = ROLE_PARTIES[role];
        const key = api.keys.get(party)!;
        let submission: unknown;
        try {
          submission = signCapture(document, key);
        } catch {
          // Not signable: the document is refused before any signature matters.
          submission = { document, signer: { party, keyId: key.keyId }, claimedTime: new Date().toISOString(), signature: 'AAAA' };
        }
        const before = api.app.drugtrace.ledger.size();
        const status = await send({ method: 'POST', path: '/v1/capture', caller: role, body: { raw: JSON.stringify(submission), type: 'application/json' } });
        outcomes.set(status, (outcomes.get(status) ?? 0) + 1);
        if (status >= 400) expect(api.app.drugtrace.ledger.size()).toBe(before);
      }),
      { numRuns: RUNS * 3 },
    );
    expect(problems.slice(0, 20)).toEqual([]);
    // The run reached both sides: some documents were captured, some refused by the rules behind the signature.
    expect(outcomes.get(201) ?? 0).toBeGreaterThan(0);
    expect([...outcomes.keys()].some((s) => s >= 400)).toBe(true);
    expect(verifyLedger(api.app.drugtrace.ledger.store).failure).toBeUndefined();
  }, 240_000);
});
