/**
 * The HTTP API's routes over a real listening server on the demo chain, through the typed client:
 * parties and keys, products and code issuance (JSON and NDJSON), the EPCIS query, dispense and
 * undo, proof bundles verified offline, the ledger entries stream checked against the signed
 * checkpoint, witness cosigning, tokens, metrics and the request log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { ApiClientError } from '../../api/client.ts';
import { buildServer } from '../../api/server.ts';
import { signSubmission } from '../../api/sign.ts';
import { ed25519, sha256 } from '../../ledger/crypto-node.ts';
import { nobleCrypto } from '../../ledger/crypto-noble.ts';
import { fromBase64, toBase64 } from '../../ledger/bytes.ts';
import { leafHash, rootOfLeafHashes } from '../../ledger/merkle.ts';
import { verifyBundle } from '../../ledger/bundle.ts';
import { formatVerifierKey, SIGNATURE_TYPE_ED25519 } from '../../ledger/note.ts';
import { MemoryWitnessStore, Witness } from '../../ledger/witness.ts';
import { gs1CheckDigit } from '../../trace/epcis/index.ts';
import { MAH, PHARMACY_1, PHARMACY_3, ROLE_PARTY, epcisDocument, ledgerState, observe, startServer, type ApiServer } from './fixture.ts';

let s: ApiServer;

beforeAll(async () => {
  s = await startServer();
});
afterAll(async () => s?.close());

async function refusal(promise: Promise<unknown>): Promise<ApiClientError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ApiClientError);
    return err as ApiClientError;
  }
  throw new Error('expected a refusal');
}

async function collect<T>(lines: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const line of lines) out.push(line);
  return out;
}

const gtinWith = (first13: string) => `${first13}${gs1CheckDigit(first13)}`;

describe('parties and keys', () => {
  const publicKey = () => toBase64(ed25519.publicKey(ed25519.generateSecretKey()));

  it('an admin registers a party with its first key; everyone with a token reads it; each change is a ledger entry', async () => {
    const admin = s.client(s.tokens.admin);
    const before = ledgerState(s).size;
    const key = publicKey();
    const registered = await admin.registerParty({ party: 'pharmacy-9', role: 'pharmacy', name: 'Pharmacy 9', locations: ['9521409000008'], publicKey: key });
    expect(registered.party).toMatchObject({ party: 'pharmacy-9', role: 'pharmacy', locations: ['https://id.gs1.org/414/9521409000008'] });
    expect(registered.party.keys).toEqual([expect.objectContaining({ keyId: registered.keyId, publicKey: key, status: 'active' })]);
    expect(ledgerState(s).size).toBe(before + 2);

    const listed = await s.client(s.tokens.distributor).parties();
    expect(listed.parties.map((p) => p.party)).toContain('pharmacy-9');
    expect(listed.parties.find((p) => p.party === MAH.id)?.prefixes).toEqual([MAH.companyPrefix]);

    const second = await s.client(s.tokens.regulator).registerKey('pharmacy-9', publicKey());
    expect(second.position).toBe(before + 2);
    const revoked = await admin.revokeKey('pharmacy-9', registered.keyId!, 'lost laptop');
    expect(revoked.position).toBe(before + 3);
    const party = await s.client(s.tokens.witness).party('pharmacy-9');
    expect(party.keys.map((k) => [k.keyId, k.status])).toEqual([
      [registered.keyId, 'revoked'],
      [second.keyId, 'active'],
    ]);
  });

  it('an admin rotates a key in one entry: the old key is rotated, the new one active; rotating it again or onto a registered key is refused, writing nothing', async () => {
    const admin = s.client(s.tokens.admin);
    const registered = await admin.registerParty({ party: 'pharmacy-10', role: 'pharmacy', name: 'Pharmacy 10', locations: ['9521410000004'], publicKey: publicKey() });
    const next = publicKey();
    const size = ledgerState(s).size;
    const rotated = await admin.rotateKey('pharmacy-10', registered.keyId!, next);
    expect([rotated.position, ledgerState(s).size]).toEqual([size, size + 1]);
    const party = await admin.party('pharmacy-10');
    expect(party.keys.map((k) => [k.keyId, k.status, k.publicKey])).toEqual([
      [registered.keyId, 'rotated', expect.any(String)],
      [rotated.keyId, 'active', next],
    ]);
    const state = ledgerState(s);
    expect(await refusal(admin.rotateKey('pharmacy-10', registered.keyId!, publicKey()))).toMatchObject({ status: 422, code: 'LEDGER_KEY_ROTATED' });
    expect(await refusal(admin.rotateKey('pharmacy-10', rotated.keyId!, next))).toMatchObject({ status: 409, code: 'LEDGER_KEY_EXISTS' });
    expect(ledgerState(s)).toEqual(state);
  });

  it('refuses a location another party holds, an unknown party, and a key registered twice, writing nothing', async () => {
    const admin = s.client(s.tokens.admin);
    const before = ledgerState(s);
    const clash = await refusal(admin.registerParty({ party: 'copycat', role: 'pharmacy', name: 'Copycat', locations: [PHARMACY_3.gln] }));
    expect([clash.status, clash.code, clash.details?.location]).toEqual([400, 'TRACE_BAD_REGISTRATION', PHARMACY_3.location]);
    expect((await refusal(admin.party('nobody'))).code).toBe('PARTY_NOT_FOUND');
    expect((await refusal(admin.registerKey('nobody', publicKey()))).status).toBe(404);
    const taken = toBase64(ed25519.publicKey(s.keys.get(MAH.id)!.secretKey));
    expect(await refusal(admin.registerKey(PHARMACY_1.id, taken))).toMatchObject({ status: 409, code: 'LEDGER_KEY_EXISTS' });
    expect(await refusal(admin.revokeKey(PHARMACY_1.id, 'not-a-key'))).toMatchObject({ status: 422, code: 'LEDGER_UNKNOWN_KEY' });
    expect(ledgerState(s)).toEqual(before);
  });
});

describe('products and code issuance', () => {
  it("a manufacturer registers a product under its own prefix, issues codes as JSON and as an NDJSON stream", async () => {
    const mah = s.client(s.tokens.manufacturer);
    const gtin = gtinWith(`0${MAH.companyPrefix}00009`);
    const product = await mah.registerProduct({ name: 'Paracetamol 500 mg x 20', gtin, category: 'drug' });
    expect(product).toMatchObject({ gtin, rule: { scheme: 'gs1-sgtin', issuedCount: 0 }, guess: { issued: 0 } });

    const small = await mah.issueCodes(product.id, 5);
    expect(small.codes).toHaveLength(5);
    expect(small.codes[0].digitalLink).toMatch(new RegExp(`^https://id.gs1.org/01/${gtin}/21/`));
    expect(small.issuedTotal).toBe(5);

    const streamed = await collect(mah.issueCodesStream(product.id, 2500));
    expect(streamed).toHaveLength(2500);
    const serials = new Set([...small.codes, ...streamed].map((c) => c.serial));
    expect(serials.size).toBe(2505);
    expect((await mah.product(product.id)).rule.issuedCount).toBe(2505);
    expect((await s.client(s.tokens.regulator).products()).products.map((p) => p.id)).toContain(product.id);
  });

  it("refuses another company's GTIN, a stranger's product, and a JSON answer too large to hold", async () => {
    const mah = s.client(s.tokens.manufacturer);
    const foreign = await refusal(mah.registerProduct({ name: 'Not ours', gtin: gtinWith('0952999900001'), category: 'drug' }));
    expect([foreign.status, foreign.code]).toEqual([403, 'AUTH_FORBIDDEN']);
    const other = s.client(s.tokens.admin);
    const theirs = await other.registerProduct({ name: 'Someone else', gtin: gtinWith('0952999900002'), category: 'drug' });
    expect((await refusal(mah.product(theirs.id))).code).toBe('NOT_FOUND');
    expect((await refusal(mah.issueCodes(theirs.id, 1))).code).toBe('NOT_FOUND');
    expect((await mah.products()).products.map((p) => p.id)).not.toContain(theirs.id);
    const mine = (await mah.products()).products[0];
    const big = await refusal(mah.issueCodes(mine.id, 10_001));
    expect([big.status, big.code, big.details?.path]).toEqual([400, 'REQUEST_INVALID', 'body/count']);
    expect(await refusal(mah.issueCodes(mine.id, 0))).toMatchObject({ status: 400, code: 'REQUEST_INVALID' });
    expect(await refusal(s.client(s.tokens.distributor).products())).toMatchObject({ status: 403, code: 'AUTH_FORBIDDEN' });
  });
});

describe('GET /v1/events (EPCIS query)', () => {
  it("a regulator's query answers an EPCISQueryDocument; the NDJSON answer holds the same events with their ledger coordinates", async () => {
    const regulator = s.client(s.tokens.regulator);
    const code = s.demo.lookAt.history;
    const doc = await regulator.events({ MATCH_epc: code });
    expect(doc).toMatchObject({ type: 'EPCISQueryDocument', schemaVersion: '2.0', epcisBody: { queryResults: { queryName: 'SimpleEventQuery' } } });
    const events = doc.epcisBody.queryResults.resultsBody.eventList;
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) expect([...((e.epcList as string[]) ?? []), ...((e.childEPCs as string[]) ?? [])]).toContain(code);
    const lines = await collect(regulator.eventsStream({ MATCH_epc: code }));
    expect(lines.map((l) => l.hashId)).toEqual(events.map((e) => e.eventID));
    expect(lines.every((l) => Number.isInteger(l.position) && Number.isInteger(l.item))).toBe(true);
  });

  it("a party sees only the events it signed, whatever it asks for; a competitor's shipments never appear", async () => {
    const all = await collect(s.client(s.tokens.regulator).eventsStream({ EQ_bizStep: 'shipping' }));
    expect(new Set(all.map((e) => e.party)).size).toBeGreaterThan(1);
    const north = await collect(s.client(s.tokens.distributor).eventsStream({ EQ_bizStep: 'shipping' }));
    expect(north.length).toBeGreaterThan(0);
    expect(north.every((e) => e.party === ROLE_PARTY.distributor)).toBe(true);
    expect(north).toEqual(all.filter((e) => e.party === ROLE_PARTY.distributor));
    const limited = await s.client(s.tokens.distributor).events({ EQ_bizStep: 'shipping', eventCountLimit: 1 });
    expect(limited.epcisBody.queryResults.resultsBody.eventList).toHaveLength(1);
  });

  it('refuses unknown parameters and bad values with their codes', async () => {
    const regulator = s.client(s.tokens.regulator);
    const bad = await refusal(regulator.events({ MATCH_epc: 'not-a-code' }));
    expect([bad.status, bad.code]).toEqual([400, 'TRACE_QUERY_BAD_PARAMETER']);
    const res = await fetch(`${s.base}/v1/events?EQ_nothing=1`, { headers: { authorization: `Bearer ${s.tokens.regulator}` } });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('REQUEST_INVALID');
  });
});

describe('dispense and undo-dispense', () => {
  const key = () => s.keys.get(PHARMACY_3.id)!;
  const dispense = (code: string, eventTime?: string) => epcisDocument([observe([code], 'dispensing', 'dispensed', PHARMACY_3.location, eventTime)]);
  const undo = (code: string) => epcisDocument([observe([code], 'dispensing', 'active', PHARMACY_3.location, '2026-03-22T09:00:00.000+08:00')]);

  it('records a dispense and its undo as signed captures; a retry with the same key replays the receipt', async () => {
    const pharmacy = s.client(s.tokens.dispenser);
    const code = s.demo.lookAt.okToDispense;
    const submission = signSubmission(dispense(code), key(), '2026-03-21T10:00:05Z');
    const first = await pharmacy.dispense(code, submission, { idempotencyKey: 'dispense-1' });
    expect(first).toMatchObject({ duplicate: false, replayed: false, events: [{ index: 0 }] });
    const again = await pharmacy.dispense(code, submission, { idempotencyKey: 'dispense-1' });
    expect(again).toMatchObject({ position: first.position, replayed: true });
    expect((await pharmacy.verifyUnit(code, '2026-03-23T00:00:00Z')).status).toBe('dispensed');

    const undone = await pharmacy.undoDispense(code, signSubmission(undo(code), key(), '2026-03-22T09:00:05Z'));
    expect(undone.position).toBe(first.position + 1);
    expect((await pharmacy.verifyUnit(code, '2026-03-23T00:00:00Z')).verdict).toBe('ok_to_dispense');
  });

  it('refuses a submission that says anything but that one action on that one code, writing nothing', async () => {
    const pharmacy = s.client(s.tokens.dispenser);
    const code = s.demo.lookAt.okToDispense;
    const other = s.demo.lookAt.history;
    const before = ledgerState(s);
    const sign = (doc: Record<string, unknown>) => signSubmission(doc, key(), '2026-03-24T10:00:00Z');
    expect(await refusal(pharmacy.undoDispense(code, sign(dispense(code))))).toMatchObject({ status: 422, code: 'DISPENSE_WRONG_ACTION', details: { expected: 'undo_dispense', action: 'dispense' } });
    expect(await refusal(pharmacy.dispense(code, sign(dispense(other))))).toMatchObject({ status: 422, code: 'DISPENSE_WRONG_CODE' });
    expect(await refusal(pharmacy.dispense(code, sign(epcisDocument([observe([code, other], 'dispensing', 'dispensed', PHARMACY_3.location)]))))).toMatchObject({ code: 'DISPENSE_WRONG_CODE' });
    const two = epcisDocument([observe([code], 'dispensing', 'dispensed', PHARMACY_3.location), observe([other], 'dispensing', 'dispensed', PHARMACY_3.location)]);
    expect(await refusal(pharmacy.dispense(code, sign(two)))).toMatchObject({ status: 422, code: 'DISPENSE_NOT_ONE_EVENT', details: { events: 2 } });
    expect(await refusal(pharmacy.dispense('not-a-code', sign(dispense(code))))).toMatchObject({ status: 400, code: 'TRACE_QUERY_BAD_CODE' });
    // The lifecycle still rules: the recalled unit may not be dispensed.
    const recalled = s.demo.lookAt.recalled;
    expect(await refusal(pharmacy.dispense(recalled, sign(dispense(recalled))))).toMatchObject({ status: 409 });
    expect(ledgerState(s)).toEqual(before);
  });
});

describe('proofs, the ledger entries stream and witnesses', () => {
  it("a holder's proof bundle verifies offline against the operator key it pins; a stranger may not have it", async () => {
    const code = s.demo.lookAt.history;
    const bundle = await s.client(s.tokens.regulator).proofBundle(code);
    const ledger = s.app.drugtrace.ledger;
    const operatorKey = formatVerifierKey(sha256, ledger.origin, SIGNATURE_TYPE_ED25519, ledger.operatorPublicKey);
    const report = verifyBundle(JSON.parse(JSON.stringify(bundle)), { trustedOperatorKeys: [operatorKey] });
    expect(report.firstFailure).toBeUndefined();
    expect(report.ok).toBe(true);
    const forged = JSON.parse(JSON.stringify(bundle));
    forged.entries[1].entry = forged.entries[0].entry;
    expect(verifyBundle(forged, { trustedOperatorKeys: [operatorKey] }).ok).toBe(false);
    const stranger = await refusal(s.client(s.tokens.manufacturer).proofBundle(s.demo.lookAt.issuedNotCommissioned));
    expect(stranger.status).toBe(404);
  });

  it('the entries stream lets a regulator recompute the root the operator signed', async () => {
    const regulator = s.client(s.tokens.regulator);
    const note = await regulator.checkpoint();
    const [, sizeLine, rootLine] = note.split('\n');
    const size = Number(sizeLine);
    const lines = await collect(regulator.ledgerEntries({ to: size }));
    expect(lines.map((l) => l.index)).toEqual([...Array(size).keys()]);
    const leaves = lines.map((l) => leafHash(sha256, fromBase64(l.entry)));
    expect(leaves.map(toBase64)).toEqual(lines.map((l) => l.leafHash));
    expect(toBase64(rootOfLeafHashes(sha256, leaves))).toBe(rootLine);
    expect(await collect(regulator.ledgerEntries({ from: 2, to: 4 }))).toEqual(lines.slice(2, 4));
    expect(await refusal(collect(regulator.ledgerEntries({ from: 0, to: size + 1000 })))).toMatchObject({ status: 400, code: 'REQUEST_INVALID' });
  });

  it('a witness fetches the add-checkpoint body, cosigns it with its own key, and the checkpoint carries the cosignature', async () => {
    const ledger = s.app.drugtrace.ledger;
    const operatorKey = formatVerifierKey(sha256, ledger.origin, SIGNATURE_TYPE_ED25519, ledger.operatorPublicKey);
    const witness = new Witness({ name: ROLE_PARTY.witness, secretKey: ed25519.generateSecretKey(), backend: nobleCrypto, logs: [{ origin: ledger.origin, operatorKeys: [operatorKey] }], store: new MemoryWitnessStore() });
    const client = s.client(s.tokens.witness);
    const body = await client.witnessCheckpoint(0);
    expect(body.startsWith('old 0\n\n')).toBe(true);
    const line = (await witness.addCheckpoint(body)).trim();
    const size = Number(body.split('\n')[3]);
    const stored = await client.addCosignature({ size, vkey: witness.vkey, line });
    expect(stored).toMatchObject({ size, cosignatures: 1 });
    expect(await s.client().checkpoint()).toContain(line);

    const impostor = new Witness({ name: 'witness-2', secretKey: ed25519.generateSecretKey(), backend: nobleCrypto, logs: [{ origin: ledger.origin, operatorKeys: [operatorKey] }], store: new MemoryWitnessStore() });
    expect(await refusal(client.addCosignature({ size, vkey: impostor.vkey, line }))).toMatchObject({ status: 403, code: 'WITNESS_NOT_SELF' });
    const other = new Witness({ name: ROLE_PARTY.witness, secretKey: ed25519.generateSecretKey(), backend: nobleCrypto, logs: [{ origin: ledger.origin, operatorKeys: [operatorKey] }], store: new MemoryWitnessStore() });
    expect(await refusal(client.addCosignature({ size, vkey: other.vkey, line }))).toMatchObject({ status: 422, code: 'LEDGER_BAD_COSIGNATURE' });
  });
});

describe('tokens, metrics and the request log', () => {
  it('lists tokens without their hashes and revokes one: its next request is 401', async () => {
    const admin = s.client(s.tokens.admin);
    const issued = await admin.issueToken({ party: PHARMACY_1.id, role: 'dispenser', label: 'front desk' });
    const listed = (await admin.tokens()).tokens;
    const row = listed.find((t) => t.tokenId === issued.tokenId)!;
    expect(row).toEqual({ tokenId: issued.tokenId, party: PHARMACY_1.id, role: 'dispenser', label: 'front desk', createdAt: issued.createdAt, revokedAt: null });
    expect(JSON.stringify(listed)).not.toContain(issued.token);
    expect(Object.keys(row).sort()).toEqual(['createdAt', 'label', 'party', 'revokedAt', 'role', 'tokenId']);
    await s.client(issued.token).verifyUnit(s.demo.lookAt.okToDispense);
    expect((await admin.revokeToken(issued.tokenId)).revokedAt).not.toBeNull();
    expect(await refusal(s.client(issued.token).verifyUnit(s.demo.lookAt.okToDispense))).toMatchObject({ status: 401, code: 'AUTH_INVALID_TOKEN' });
    expect(await refusal(admin.revokeToken(issued.tokenId))).toMatchObject({ status: 404, code: 'TOKEN_NOT_FOUND' });
  });

  it('GET /metrics counts requests by route template and status, and reports the ledger size', async () => {
    const code = s.demo.lookAt.history;
    await s.client(s.tokens.regulator).unitHistory(code);
    await refusal(s.client().unitHistory(code));
    const text = await s.client().metrics();
    expect(text).toMatch(/drugtrace_http_requests_total\{method="GET",route="\/v1\/units\/:code\/history",status="200"\} [1-9]/);
    expect(text).toMatch(/drugtrace_http_requests_total\{method="GET",route="\/v1\/units\/:code\/history",status="401"\} [1-9]/);
    expect(text).toMatch(/drugtrace_http_request_duration_seconds_bucket\{le="0.5",method="GET",route="\/v1\/units\/:code\/history",status="200"\}/);
    expect(text).toContain(`drugtrace_ledger_entries ${s.app.drugtrace.ledger.size()}`);
    expect(text).toMatch(/drugtrace_ledger_entries_by_kind\{kind="capture"\} [1-9]/);
    expect(text).not.toContain(encodeURIComponent(code));
  });

  it('writes one JSON log line per request with its id, route, status, duration and party', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    const app = await buildServer({ dbFile: join(s.dir, 'demo.db'), logger: { level: 'info', stream }, rateLimit: false });
    try {
      const base = await app.listen({ port: 0, host: '127.0.0.1' });
      const res = await fetch(`${base}/v1/units/${encodeURIComponent(s.demo.lookAt.history)}/history`, { headers: { authorization: `Bearer ${s.tokens.regulator}` } });
      expect(res.status).toBe(200);
      const requestId = res.headers.get('x-request-id');
      const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request');
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({ reqId: requestId, method: 'GET', route: '/v1/units/:code/history', status: 200, party: ROLE_PARTY.regulator });
      expect(typeof logged[0].durationMs).toBe('number');
    } finally {
      await app.close();
    }
  });
});
