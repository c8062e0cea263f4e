/**
 * Malformed input on every write route of the OpenAPI document (a write route without cases here
 * fails the test): bad JSON, a body of the wrong type, a field of the wrong type, an unknown
 * field, an oversized body, and per route the invalid codes, EPCIS documents and values its
 * domain refuses. Each answer is a 4xx in the one error shape with its stable code, and nothing
 * was written: the ledger's size and root, and the row count of every table, are the same after.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiRole } from '../../api/auth.ts';
import { signSubmission } from '../../api/sign.ts';
import { toBase64 } from '../../ledger/bytes.ts';
import { ed25519 } from '../../ledger/crypto-node.ts';
import { nobleCrypto } from '../../ledger/crypto-noble.ts';
import { formatWitnessKey } from '../../ledger/witness.ts';
import { gs1CheckDigit } from '../../trace/epcis/index.ts';
import { onPostgres } from '../helpers/dialect.ts';
import { MAH, NORTH, PHARMACY_3, ROLE_PARTY, epcisDocument, ledgerState, observe, startServer, type ApiServer } from './fixture.ts';

const BODY_LIMIT = 64 * 1024;

let s: ApiServer;
let writeRoutes: string[];

beforeAll(async () => {
  s = await startServer({ bodyLimit: BODY_LIMIT, auth: { failureLimit: 1_000_000 } });
  const doc = (await (await fetch(`${s.base}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  writeRoutes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).filter((m) => ['post', 'put', 'patch', 'delete'].includes(m)).map((m) => `${m.toUpperCase()} ${path}`));
});
afterAll(async () => s?.close());

interface Refusal {
  name: string;
  /** Replaces the route's path (parameters filled in). */
  path?: string;
  body: unknown;
  status: number;
  /** The exact code, or a pattern for a family. */
  code: string | RegExp;
}

interface RouteCases {
  who: ApiRole;
  path: string;
  /** A body that passes the route's schema (its signature need not verify); null: the route takes none. */
  valid: (() => Record<string, unknown>) | null;
  /** Refusals of its domain: invalid codes, invalid EPCIS, values the schema lets through. */
  domain: () => Refusal[];
}

const code = () => s.demo.lookAt.okToDispense;
const key = (party: string) => s.keys.get(party)!;
const at = '2026-03-24T10:00:00Z';
const dispenseDoc = (c: string) => epcisDocument([observe([c], 'dispensing', 'dispensed', PHARMACY_3.location)]);
/** An event without eventTime: the EPCIS 2.0 schema requires it. */
const noEventTime = (c: string) => {
  const doc = dispenseDoc(c);
  delete ((doc.epcisBody as { eventList: Record<string, unknown>[] }).eventList[0] as Record<string, unknown>).eventTime;
  return doc;
};
const badCodeDoc = () => epcisDocument([observe(['urn:epc:id:sgtin:9521234.000001.'], 'inspecting', 'active', NORTH.location)]);
const publicKey = () => toBase64(ed25519.publicKey(ed25519.generateSecretKey()));
const ownGtin = (n: string) => `0${MAH.companyPrefix}${n}${gs1CheckDigit(`0${MAH.companyPrefix}${n}`)}`;

const CASES: Record<string, RouteCases> = {
  'POST /v1/capture': {
    who: 'distributor',
    path: '/v1/capture',
    valid: () => ({ ...signSubmission(epcisDocument([observe([code()], 'inspecting', 'active', NORTH.location)]), key(NORTH.id), at) }),
    domain: () => [
      { name: 'an invalid code in the EPCIS document', body: { ...signSubmission(dispenseDoc(code()), key(NORTH.id), at), document: badCodeDoc() }, status: 400, code: /^EPCIS_/ },
      { name: 'an EPCIS event without eventTime', body: { ...signSubmission(dispenseDoc(code()), key(NORTH.id), at), document: noEventTime(code()) }, status: 400, code: /^EPCIS_/ },
      { name: 'not an EPCIS document', body: { ...signSubmission(dispenseDoc(code()), key(NORTH.id), at), document: { type: 'Nothing' } }, status: 400, code: /^EPCIS_/ },
      { name: 'a document with no events', body: { ...signSubmission(dispenseDoc(code()), key(NORTH.id), at), document: epcisDocument([]) }, status: 400, code: 'TRACE_BAD_SUBMISSION' },
      { name: 'a signature that does not verify', body: { ...signSubmission(dispenseDoc(code()), key(NORTH.id), at), claimedTime: '2026-03-24T10:00:01Z' }, status: 422, code: 'LEDGER_BAD_SIGNATURE' },
    ],
  },
  'POST /v1/units/{code}/dispense': {
    who: 'dispenser',
    path: `/v1/units/${encodeURIComponent('https://id.gs1.org/01/09521234000013/21/X')}/dispense`,
    valid: () => ({ ...signSubmission(dispenseDoc(code()), key(PHARMACY_3.id), at) }),
    domain: () => [
      { name: 'an invalid code in the path', path: '/v1/units/not-a-code/dispense', body: signSubmission(dispenseDoc(code()), key(PHARMACY_3.id), at), status: 400, code: 'TRACE_QUERY_BAD_CODE' },
      { name: 'an invalid code in the document', path: `/v1/units/${encodeURIComponent(code())}/dispense`, body: { ...signSubmission(dispenseDoc(code()), key(PHARMACY_3.id), at), document: badCodeDoc() }, status: 400, code: /^EPCIS_/ },
      { name: 'an EPCIS event without eventTime', path: `/v1/units/${encodeURIComponent(code())}/dispense`, body: { ...signSubmission(dispenseDoc(code()), key(PHARMACY_3.id), at), document: noEventTime(code()) }, status: 400, code: /^EPCIS_/ },
      { name: 'another unit than the path', path: `/v1/units/${encodeURIComponent(s.demo.lookAt.history)}/dispense`, body: signSubmission(dispenseDoc(code()), key(PHARMACY_3.id), at), status: 422, code: 'DISPENSE_WRONG_CODE' },
    ],
  },
  'POST /v1/units/{code}/undo-dispense': {
    who: 'dispenser',
    path: `/v1/units/${encodeURIComponent('https://id.gs1.org/01/09521234000013/21/X')}/undo-dispense`,
    valid: () => ({ ...signSubmission(dispenseDoc(code()), key(PHARMACY_3.id), at) }),
    domain: () => [
      { name: 'an invalid code in the path', path: '/v1/units/%20/undo-dispense', body: signSubmission(dispenseDoc(code()), key(PHARMACY_3.id), at), status: 400, code: 'TRACE_QUERY_BAD_CODE' },
      { name: 'a dispense sent to the undo route', path: `/v1/units/${encodeURIComponent(code())}/undo-dispense`, body: signSubmission(dispenseDoc(code()), key(PHARMACY_3.id), at), status: 422, code: 'DISPENSE_WRONG_ACTION' },
      { name: 'an EPCIS event without eventTime', path: `/v1/units/${encodeURIComponent(code())}/undo-dispense`, body: { ...signSubmission(dispenseDoc(code()), key(PHARMACY_3.id), at), document: noEventTime(code()) }, status: 400, code: /^EPCIS_/ },
    ],
  },
  'POST /v1/witness/cosignatures': {
    who: 'witness',
    path: '/v1/witness/cosignatures',
    valid: () => ({ size: 1, vkey: formatWitnessKey(nobleCrypto, ROLE_PARTY.witness, ed25519.publicKey(ed25519.generateSecretKey())), line: '— witness-1 AAAA' }),
    domain: () => [
      { name: 'a vkey that is not one', body: { size: 1, vkey: 'garbage', line: '— w x' }, status: 400, code: /^NOTE_/ },
      { name: 'a checkpoint size never signed', body: { size: 999_999, vkey: formatWitnessKey(nobleCrypto, ROLE_PARTY.witness, ed25519.publicKey(ed25519.generateSecretKey())), line: '— witness-1 AAAA' }, status: 404, code: 'LEDGER_UNKNOWN_CHECKPOINT' },
    ],
  },
  'POST /v1/tokens': {
    who: 'admin',
    path: '/v1/tokens',
    valid: () => ({ party: 'pharmacy-7', role: 'dispenser' }),
    domain: () => [
      { name: 'an unknown role', body: { party: 'p', role: 'superuser' }, status: 400, code: 'REQUEST_INVALID' },
      { name: 'a party id with a space', body: { party: 'a b', role: 'dispenser' }, status: 400, code: 'REQUEST_INVALID' },
    ],
  },
  'POST /v1/tokens/{tokenId}/revoke': {
    who: 'admin',
    path: '/v1/tokens/aaaaaaaaaaaa/revoke',
    valid: null,
    domain: () => [
      { name: 'a token id of the wrong shape', path: '/v1/tokens/..%2F..%2Fx/revoke', body: undefined, status: 400, code: 'REQUEST_INVALID' },
      { name: 'an unknown token', body: undefined, status: 404, code: 'TOKEN_NOT_FOUND' },
    ],
  },
  'POST /v1/parties': {
    who: 'admin',
    path: '/v1/parties',
    valid: () => ({ party: 'pharmacy-8', role: 'pharmacy', name: 'Pharmacy 8', locations: ['9521408000009'] }),
    domain: () => [
      { name: 'a location that is not a GLN', body: { party: 'pharmacy-8', role: 'pharmacy', name: 'P8', locations: ['9521408000000'] }, status: 400, code: 'TRACE_BAD_REGISTRATION' },
      { name: "another party's location", body: { party: 'pharmacy-8', role: 'pharmacy', name: 'P8', locations: [PHARMACY_3.gln] }, status: 400, code: 'TRACE_BAD_REGISTRATION' },
      { name: 'a public key of 31 bytes', body: { party: 'pharmacy-8', role: 'pharmacy', name: 'P8', locations: ['9521408000009'], publicKey: toBase64(new Uint8Array(31)) }, status: 400, code: 'REQUEST_INVALID' },
      { name: 'a party that exists', body: { party: MAH.id, role: 'manufacturer', name: 'MAH again', locations: ['9521408000009'] }, status: 409, code: 'LEDGER_PARTY_EXISTS' },
    ],
  },
  'POST /v1/parties/{party}/keys': {
    who: 'admin',
    path: `/v1/parties/${MAH.id}/keys`,
    valid: () => ({ publicKey: publicKey() }),
    domain: () => [
      { name: 'a key that is not base64 of 32 bytes', body: { publicKey: 'not base64' }, status: 400, code: 'REQUEST_INVALID' },
      { name: 'an unknown party', path: '/v1/parties/nobody/keys', body: { publicKey: publicKey() }, status: 404, code: 'PARTY_NOT_FOUND' },
    ],
  },
  'POST /v1/parties/{party}/keys/{keyId}/rotate': {
    who: 'admin',
    path: `/v1/parties/${MAH.id}/keys/no-such-key/rotate`,
    valid: () => ({ publicKey: publicKey() }),
    domain: () => [
      { name: 'a key that is not base64 of 32 bytes', body: { publicKey: 'not base64' }, status: 400, code: 'REQUEST_INVALID' },
      { name: 'an unknown key', body: { publicKey: publicKey() }, status: 422, code: 'LEDGER_UNKNOWN_KEY' },
      { name: 'an unknown party', path: '/v1/parties/nobody/keys/no-such-key/rotate', body: { publicKey: publicKey() }, status: 404, code: 'PARTY_NOT_FOUND' },
    ],
  },
  'POST /v1/parties/{party}/keys/{keyId}/revoke': {
    who: 'admin',
    path: `/v1/parties/${MAH.id}/keys/no-such-key/revoke`,
    valid: () => ({ reason: 'lost' }),
    domain: () => [{ name: 'an unknown key', body: { reason: 'lost' }, status: 422, code: 'LEDGER_UNKNOWN_KEY' }],
  },
  'POST /v1/products': {
    who: 'manufacturer',
    path: '/v1/products',
    valid: () => ({ name: 'New product', gtin: ownGtin('00077'), category: 'drug' }),
    domain: () => [
      { name: 'a GTIN with a wrong check digit', body: { name: 'X', gtin: `${ownGtin('00077').slice(0, 13)}${(Number(ownGtin('00077').slice(13)) + 1) % 10}`, category: 'drug' }, status: 400, code: 'ISSUE_PRODUCT_INVALID' },
      { name: 'an unknown category', body: { name: 'X', gtin: ownGtin('00077'), category: 'sweets' }, status: 400, code: 'REQUEST_INVALID' },
      { name: 'a rule too small to stay unguessable', body: { name: 'X', gtin: ownGtin('00077'), category: 'drug', rule: { serialLength: 4, plannedVolume: 1_000_000 } }, status: 422, code: 'ISSUE_SERIAL_SPACE' },
      { name: 'a GTIN already registered', body: { name: 'X', gtin: s.demo.products[0].gtin, category: 'drug' }, status: 409, code: 'ISSUE_PRODUCT_EXISTS' },
    ],
  },
  'POST /v1/products/{id}/codes': {
    who: 'manufacturer',
    path: '/v1/products/1/codes',
    valid: () => ({ count: 1 }),
    domain: () => [
      { name: 'a count of zero', body: { count: 0 }, status: 400, code: 'REQUEST_INVALID' },
      { name: 'a product id that is not a number', path: '/v1/products/one/codes', body: { count: 1 }, status: 400, code: 'REQUEST_INVALID' },
      { name: 'an unknown product', path: '/v1/products/9999/codes', body: { count: 1 }, status: 404, code: 'ISSUE_UNKNOWN_PRODUCT' },
    ],
  },
  'POST /v1/recalls': {
    who: 'manufacturer',
    path: '/v1/recalls',
    valid: () => ({ campaign: { reason: 'contamination', class: 'I', lots: [{ gtin: s.demo.lookAt.recallLot.gtin, lot: 'A2602' }] }, signer: { party: MAH.id, keyId: key(MAH.id).keyId }, claimedTime: at, signature: 'AAAA' }),
    domain: () => [
      { name: 'an unknown recall class', body: { campaign: { reason: 'r', class: 'IV', lots: [] }, signer: { party: MAH.id, keyId: 'k' }, claimedTime: at, signature: 'AAAA' }, status: 400, code: 'REQUEST_INVALID' },
      { name: 'a GTIN that is not digits', body: { campaign: { reason: 'r', class: 'I', lots: [{ gtin: 'abc', lot: 'L' }] }, signer: { party: MAH.id, keyId: 'k' }, claimedTime: at, signature: 'AAAA' }, status: 400, code: 'REQUEST_INVALID' },
    ],
  },
  'POST /v1/webhooks': {
    who: 'distributor',
    path: '/v1/webhooks',
    valid: () => ({ url: 'https://hooks.example.com/drugtrace' }),
    domain: () => [
      { name: 'a URL that is not http', body: { url: 'ftp://example.com/x' }, status: 400, code: 'REQUEST_INVALID' },
      { name: 'an unknown notice type', body: { url: 'https://hooks.example.com/drugtrace', types: ['gossip'] }, status: 400, code: 'REQUEST_INVALID' },
      { name: 'a loopback address', body: { url: 'http://127.0.0.1:9/hook' }, status: 422, code: 'WEBHOOK_TARGET_FORBIDDEN' },
      { name: 'a user and password in the URL', body: { url: 'https://user:pass@hooks.example.com/drugtrace' }, status: 422, code: 'WEBHOOK_URL_CREDENTIALS' },
    ],
  },
  'POST /v1/alerts/{id}/review': {
    who: 'regulator',
    path: '/v1/alerts/1/review',
    valid: () => ({ decision: 'confirm', reason: 'checked the stock', reviewer: 'Inspector Li', signer: { party: ROLE_PARTY.regulator, keyId: 'k' }, claimedTime: at, signature: 'AAAA' }),
    domain: () => [
      { name: 'an unknown decision', body: { decision: 'maybe', reason: 'r', reviewer: 'r', signer: { party: ROLE_PARTY.regulator, keyId: 'k' }, claimedTime: at, signature: 'AAAA' }, status: 400, code: 'REQUEST_INVALID' },
      { name: 'an alert id that is not a number', path: '/v1/alerts/one/review', body: { decision: 'confirm', reason: 'r', reviewer: 'r', signer: { party: ROLE_PARTY.regulator, keyId: 'k' }, claimedTime: at, signature: 'AAAA' }, status: 400, code: 'REQUEST_INVALID' },
    ],
  },
  'DELETE /v1/webhooks/{id}': {
    who: 'distributor',
    path: '/v1/webhooks/0123456789abcdef',
    valid: null,
    domain: () => [{ name: 'an id of the wrong shape', path: '/v1/webhooks/xyz', body: undefined, status: 400, code: 'REQUEST_INVALID' }],
  },
};

/** Every table's row count, and the ledger's size and root: what a refused request must leave alone. */
function state(): Record<string, unknown> {
  const db = s.app.drugtrace.db;
  const tables = (
    onPostgres
      ? db.prepare("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name")
      : db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
  )
    .pluck()
    .all() as string[];
  const counts: Record<string, number> = {};
  for (const t of tables) counts[t] = db.prepare(`SELECT COUNT(*) FROM "${t}"`).pluck().get() as number;
  return { ledger: ledgerState(s), counts };
}

async function send(route: string, who: ApiRole, path: string, raw: string | undefined, type = 'application/json'): Promise<{ status: number; body: { error?: { code?: string; details?: Record<string, unknown> } } }> {
  const method = route.split(' ')[0];
  const headers: Record<string, string> = { authorization: `Bearer ${s.tokens[who]}` };
  if (raw !== undefined) headers['content-type'] = type;
  const res = await fetch(`${s.base}${path}`, { method, headers, body: raw });
  const text = await res.text();
  let body = {};
  try {
    body = JSON.parse(text);
  } catch {
    body = { unparsed: text };
  }
  return { status: res.status, body };
}

/** The generic malformed bodies every route with a body gets. */
function generic(c: RouteCases): Array<{ name: string; raw: string; status: number; code: string; check?: (details: Record<string, unknown>) => void }> {
  const out: Array<{ name: string; raw: string; status: number; code: string; check?: (details: Record<string, unknown>) => void }> = [
    { name: 'bad JSON', raw: '{"oops": ', status: 400, code: 'REQUEST_MALFORMED_JSON' },
    { name: 'an oversized body', raw: JSON.stringify({ ...(c.valid?.() ?? {}), padding: 'x'.repeat(BODY_LIMIT + 1) }), status: 413, code: 'BODY_TOO_LARGE' },
  ];
  if (c.valid) {
    const valid = c.valid();
    const [field, value] = Object.entries(valid)[0];
    out.push(
      { name: 'a JSON array for a body', raw: '[1, 2, 3]', status: 400, code: 'REQUEST_INVALID' },
      { name: 'a JSON string for a body', raw: '"hello"', status: 400, code: 'REQUEST_INVALID' },
      {
        name: `a wrong type in ${field}`,
        raw: JSON.stringify({ ...valid, [field]: typeof value === 'object' && value !== null ? 'not an object' : { wrong: true } }),
        status: 400,
        code: 'REQUEST_INVALID',
        check: (d) => expect(String(d.path)).toMatch(new RegExp(`^body/${field}`)),
      },
      { name: 'an unknown field', raw: JSON.stringify({ ...valid, unexpected: 1 }), status: 400, code: 'REQUEST_INVALID', check: (d) => expect([d.path, d.rule]).toEqual(['body/unexpected', 'additionalProperties']) },
      // No text column may hold U+0000 on PostgreSQL; refused on both engines before anything is read.
      { name: 'a NUL character in a field', raw: JSON.stringify({ ...valid, [field]: 'x\u0000y' }), status: 400, code: 'REQUEST_INVALID', check: (d) => expect([d.path, d.rule]).toEqual([`body/${field}`, 'no-nul']) },
    );
  }
  return out;
}

describe('malformed input on every write route', () => {
  it('has cases for every write route the server publishes', () => {
    expect(writeRoutes.length).toBeGreaterThan(10);
    expect(writeRoutes.filter((r) => !(r in CASES))).toEqual([]);
    expect(Object.keys(CASES).filter((r) => !writeRoutes.includes(r))).toEqual([]);
  });

  it('answers each malformed request with a 4xx and its stable code, and writes nothing', async () => {
    const wrong: string[] = [];
    let sent = 0;
    for (const [route, c] of Object.entries(CASES)) {
      const cases = [
        ...generic(c).map((g) => ({ ...g, path: c.path })),
        ...c.domain().map((d) => ({ name: d.name, path: d.path ?? c.path, raw: d.body === undefined ? undefined : JSON.stringify(d.body), status: d.status, code: d.code, check: undefined })),
      ];
      for (const k of cases) {
        const before = state();
        const got = await send(route, c.who, k.path, k.raw);
        sent++;
        const gotCode = got.body.error?.code ?? '(no error shape)';
        const codeOk = typeof k.code === 'string' ? gotCode === k.code : k.code.test(gotCode);
        if (got.status !== k.status || !codeOk) wrong.push(`${route}, ${k.name}: ${got.status} ${gotCode}, expected ${k.status} ${String(k.code)}`);
        else if (k.check) {
          try {
            k.check(got.body.error?.details ?? {});
          } catch (err) {
            wrong.push(`${route}, ${k.name}: ${(err as Error).message.split('\n')[0]}`);
          }
        }
        const after = state();
        if (JSON.stringify(after) !== JSON.stringify(before)) wrong.push(`${route}, ${k.name}: wrote something (${JSON.stringify(before)} -> ${JSON.stringify(after)})`);
      }
    }
    expect(wrong).toEqual([]);
    expect(sent).toBeGreaterThan(80);
  }, 120_000);

  it('refuses a body that is not JSON at all as an unsupported media type', async () => {
    const before = state();
    const got = await send('POST /v1/capture', 'distributor', '/v1/capture', 'document=1', 'application/x-www-form-urlencoded');
    expect([got.status, got.body.error?.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    expect(state()).toEqual(before);
  });
});
