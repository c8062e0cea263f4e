/**
 * More CLI commands against a real listening server (--server, --token): the ledger's checkpoint
 * (its operator signature checked on the caller's machine) and a regulator's re-verification of
 * the whole ledger from the entries the server sends, EPCIS event queries, and unit proof bundles
 * built by the server and verified here before they are written, products, code issuance streamed
 * to a file, and party registration with a key made on the caller's machine, with the same output
 * and exit codes as the local mode on the same demo database; a lot recall signed here and
 * recorded by the server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { gs1CheckDigit } from '../../codes/gs1/linters.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../api/server.ts';
import { issueToken } from '../../api/auth.ts';
import { Ledger } from '../../ledger/ledger.ts';
import { sha256 } from '../../ledger/crypto-node.ts';
import { formatVerifierKey, SIGNATURE_TYPE_ED25519 } from '../../ledger/note.ts';
import { runDemo, type DemoResult } from '../../trace/demo.ts';
import { runCli } from '../helpers/run-cli.ts';
import { writePartyKeyFile } from '../../cli/commands/party.ts';

let dir: string;
let db: string;
let demo: DemoResult;
let app: FastifyInstance;
let base: string;
let operatorKey: string;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drugtrace-cli-server-commands-'));
  db = join(dir, 'demo.db');
  demo = runDemo(db, { onPartyKey: (k) => writePartyKeyFile(join(dir, `${k.party}.key`), k) });
  const ledger = Ledger.open(db);
  operatorKey = formatVerifierKey(sha256, ledger.origin, SIGNATURE_TYPE_ED25519, ledger.operatorPublicKey);
  ledger.close();
  app = await buildServer({ dbFile: db });
  base = (await app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
  tokens.regulator = issueToken(app.drugtrace.db, { party: 'nmpa', role: 'regulator' }).token;
  tokens.dispenser = issueToken(app.drugtrace.db, { party: 'pharmacy-3', role: 'dispenser' }).token;
  tokens.manufacturer = issueToken(app.drugtrace.db, { party: 'mah-huaxin', role: 'manufacturer' }).token;
  tokens.otherManufacturer = issueToken(app.drugtrace.db, { party: 'mah-elsewhere', role: 'manufacturer' }).token;
});

afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

const remote = (token: string | undefined, ...args: string[]) => runCli([...args, '--server', base, ...(token ? ['--token', token] : [])]);

describe('ledger checkpoint --server', () => {
  it('prints the server\'s signed note, the local command\'s JSON (created unknown), and checks its signature with --operator-key', async () => {
    const local = await runCli(['ledger', 'checkpoint', '--db', db, '--json']);
    expect(local.code).toBe(0);
    const text = await remote(undefined, 'ledger', 'checkpoint');
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(JSON.parse(local.stdout).note);
    expect(text.stderr).toMatch(/signature not checked: pass --operator-key/);

    const json = await remote(undefined, 'ledger', 'checkpoint', '--json', '--operator-key', operatorKey);
    expect(json.code).toBe(0);
    const { created, verified, ...rest } = JSON.parse(json.stdout);
    const { created: _localCreated, ...localRest } = JSON.parse(local.stdout);
    expect(rest).toEqual(localRest);
    expect([created, verified]).toEqual([null, true]);
    expect(rest.size).toBe(demo.ledgerSize);
  });

  it('exits 1 when the note is not signed by the pinned operator key', async () => {
    const other = join(dir, 'other.db');
    const ledger = Ledger.init(other, { origin: 'drugtrace.example/demo' });
    const impostor = formatVerifierKey(sha256, ledger.origin, SIGNATURE_TYPE_ED25519, ledger.operatorPublicKey);
    ledger.close();
    const r = await remote(undefined, 'ledger', 'checkpoint', '--json', '--operator-key', impostor);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.code).toBe('NOTE_UNVERIFIED');
    const malformed = await remote(undefined, 'ledger', 'checkpoint', '--json', '--operator-key', 'not-a-key');
    expect(malformed.code).toBe(2);
    expect(JSON.parse(malformed.stdout).error.code).toBe('CLI_BAD_KEY');
  });

  it('exits 2 with CLIENT_NETWORK when nothing answers at the URL', async () => {
    const r = await runCli(['ledger', 'checkpoint', '--json', '--server', 'http://127.0.0.1:9']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'CLIENT_NETWORK', status: 0 });
  });
});

describe('ledger verify --server', () => {
  it('re-derives the served entries here: the same size, items and root as the local verify, operator key from genesis or pinned', async () => {
    const local = JSON.parse((await runCli(['ledger', 'verify', '--db', db, '--json'])).stdout);
    const r = await remote(tokens.regulator, 'ledger', 'verify', '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ ok: true, size: local.size, items: local.items, root: local.root, checkpoints: 1, operatorKeyPinned: false });
    const pinned = await remote(tokens.regulator, 'ledger', 'verify', '--operator-key', operatorKey);
    expect(pinned.code).toBe(0);
    expect(pinned.stdout).toBe(`ok: ${local.size} entries, ${local.items} items, 1 checkpoints verified; root ${local.root}\n`);
  });

  it('exits 1 when the pinned operator key is not the one the ledger\'s genesis registers', async () => {
    const other = join(dir, 'impostor.db');
    const ledger = Ledger.init(other, { origin: 'drugtrace.example/demo' });
    const impostor = formatVerifierKey(sha256, ledger.origin, SIGNATURE_TYPE_ED25519, ledger.operatorPublicKey);
    ledger.close();
    const r = await remote(tokens.regulator, 'ledger', 'verify', '--json', '--operator-key', impostor);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).failure.code).toBe('LEDGER_BAD_KEY_STATE');
  });

  it('exits 1 naming the entry when the server serves an item whose bytes were altered in its database', async () => {
    // A second demo ledger, tampered in its database (on either engine) behind its server's back.
    const copy = join(dir, 'tampered.db');
    runDemo(copy);
    const tampered = await buildServer({ dbFile: copy });
    try {
      const store = tampered.drugtrace.db;
      const item = store.prepare('SELECT entry_position AS position, item_index AS item, bytes FROM ledger_items ORDER BY entry_position DESC LIMIT 1').get() as { position: number; item: number; bytes: Buffer };
      const altered = Buffer.from(item.bytes.toString('utf8').replace(/"eventTime":"\d/, '"eventTime":"1'));
      expect(altered.equals(item.bytes)).toBe(false);
      store.prepare('UPDATE ledger_items SET bytes = ? WHERE entry_position = ? AND item_index = ?').run(altered, item.position, item.item);
      const url = (await tampered.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
      const token = issueToken(store, { party: 'nmpa', role: 'regulator' }).token;
      const r = await runCli(['ledger', 'verify', '--json', '--server', url, '--token', token]);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout).failure).toMatchObject({ code: 'LEDGER_BAD_ITEMS_ROOT', position: item.position });
    } finally {
      await tampered.close();
    }
  });

  it('needs a regulator token: a dispenser is refused (403, exit 2)', async () => {
    const r = await remote(tokens.dispenser, 'ledger', 'verify', '--json');
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'AUTH_FORBIDDEN', status: 403 });
  });
});

describe('events --server', () => {
  it('a regulator gets the local answer: the same lines, JSON and EPCIS document events', async () => {
    const args = ['events', '--biz-step', 'shipping', 'receiving'];
    const local = await runCli([...args, '--db', db]);
    const server = await remote(tokens.regulator, ...args);
    expect([server.code, local.code]).toEqual([0, 0]);
    expect(server.stdout).toBe(local.stdout);
    expect(local.stdout).toMatch(/^[1-9]\d* event\(s\)/);
    const localJson = JSON.parse((await runCli([...args, '--db', db, '--json'])).stdout);
    expect(JSON.parse((await remote(tokens.regulator, ...args, '--json')).stdout)).toEqual(localJson);
    const epcis = JSON.parse((await remote(tokens.regulator, ...args, '--epcis')).stdout);
    const localEpcis = JSON.parse((await runCli([...args, '--db', db, '--epcis'])).stdout);
    expect(epcis.epcisBody.eventList).toEqual(localEpcis.epcisBody.eventList);
  });

  it("another party's token sees only the events it signed", async () => {
    const all = JSON.parse((await remote(tokens.regulator, 'events', '--json')).stdout);
    const own = JSON.parse((await remote(tokens.dispenser, 'events', '--json')).stdout);
    expect(own.count).toBeGreaterThan(0);
    expect(own.count).toBeLessThan(all.count);
    expect(new Set(own.events.map((e: { party: string }) => e.party))).toEqual(new Set(['pharmacy-3']));
  });

  it('a malformed filter is a usage error (exit 2) as locally', async () => {
    const r = await remote(tokens.regulator, 'events', '--from', 'yesterday', '--json');
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.code).toMatch(/^REQUEST_INVALID|TRACE_QUERY_BAD_PARAMETER$/);
  });
});

describe('proof export --server', () => {
  it('writes the server-built bundle after verifying it here, with the local summary; proof verify accepts the file', async () => {
    const code = demo.lookAt.history;
    const localOut = join(dir, 'local-bundle.json');
    const remoteOut = join(dir, 'remote-bundle.json');
    const local = JSON.parse((await runCli(['proof', 'export', code, '--db', db, '--out', localOut, '--json'])).stdout);
    const r = await remote(tokens.regulator, 'proof', 'export', code, '--out', remoteOut, '--json', '--operator-key', operatorKey);
    expect(r.code).toBe(0);
    const { checkpointCreated, ...summary } = JSON.parse(r.stdout);
    const { checkpointCreated: _created, ...localSummary } = local;
    expect(summary).toEqual({ ...localSummary, out: remoteOut });
    expect(checkpointCreated).toBeNull();
    const verified = await runCli(['proof', 'verify', remoteOut, '--operator-key', operatorKey, '--json']);
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.stdout).events.length).toBe(local.events);
  });

  it('writes nothing and exits 1 when the bundle is not signed by the pinned operator key', async () => {
    const other = join(dir, 'impostor2.db');
    const ledger = Ledger.init(other, { origin: 'drugtrace.example/demo' });
    const impostor = formatVerifierKey(sha256, ledger.origin, SIGNATURE_TYPE_ED25519, ledger.operatorPublicKey);
    ledger.close();
    const out = join(dir, 'refused-bundle.json');
    const r = await remote(tokens.regulator, 'proof', 'export', demo.lookAt.history, '--out', out, '--json', '--operator-key', impostor);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).ok).toBe(false);
    expect(existsSync(out)).toBe(false);
  });

  it('an unknown code exits 1; --position needs the database (exit 2)', async () => {
    const unknown = await remote(tokens.regulator, 'proof', 'export', demo.lookAt.neverIssued, '--json');
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout).error.code).toBe('TRACE_QUERY_UNKNOWN_CODE');
    const positions = await remote(tokens.regulator, 'proof', 'export', '--position', '3', '--json');
    expect(positions.code).toBe(2);
    expect(JSON.parse(positions.stdout).error.code).toBe('CLI_NOT_REMOTE');
  });

  it('prints the verified bundle on stdout without --out', async () => {
    const r = await remote(tokens.regulator, 'proof', 'export', demo.lookAt.history);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ format: 'drugtrace-proof-bundle/v1' });
    expect(readFileSync(join(dir, 'remote-bundle.json'), 'utf8').length).toBeGreaterThan(0);
  });
});

describe('product add and codes issue --server', () => {
  const gtin = '0952123400009' + String(gs1CheckDigit('0952123400009'));
  let productId = 0;

  it('product add registers the product on the server and prints what the local list then shows', async () => {
    const r = await remote(tokens.manufacturer, 'product', 'add', '--name', 'Remote 10 mg x30', '--gtin', gtin, '--category', 'drug', '--json');
    expect(r.code).toBe(0);
    const added = JSON.parse(r.stdout);
    productId = added.product.id;
    const list = JSON.parse((await runCli(['product', 'list', '--db', db, '--json'])).stdout);
    expect(list.products.find((p: { id: number }) => p.id === productId)).toEqual(added.product);
    const again = await remote(tokens.manufacturer, 'product', 'add', '--name', 'Again', '--gtin', gtin, '--category', 'drug', '--json');
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout).error.code).toBe('ISSUE_PRODUCT_EXISTS');
  });

  it('codes issue streams the codes into --out; each one is issued in the database; the summary is the local one', async () => {
    const file = join(dir, 'remote-codes.csv');
    const r = await remote(tokens.manufacturer, 'codes', 'issue', '--product', String(productId), '--count', '2500', '--out', file, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, product: productId, runId: null, issued: 2500, issuedTotal: 2500, format: 'csv', out: file });
    const rows = readFileSync(file, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('serial,element_string,digital_link,cn_code');
    expect(rows.length).toBe(2501);
    expect(new Set(rows.slice(1)).size).toBe(2500);
    for (const row of [rows[1], rows[1250], rows[2500]]) {
      const check = await runCli(['codes', 'check', row.split(',')[1], '--db', db, '--json']);
      expect([check.code, JSON.parse(check.stdout).verdict]).toEqual([0, 'issued']);
    }
  });

  it('a refused issuance leaves no file behind; a stranger\'s product is not found (exit 1)', async () => {
    const file = join(dir, 'refused-codes.csv');
    const zero = await remote(tokens.manufacturer, 'codes', 'issue', '--product', String(productId), '--count', '0', '--out', file, '--json');
    expect(zero.code).toBe(2);
    expect(existsSync(file)).toBe(false);
    const stranger = await remote(tokens.otherManufacturer, 'codes', 'issue', '--product', String(productId), '--count', '5', '--out', file, '--json');
    expect(stranger.code).toBe(1);
    expect(JSON.parse(stranger.stdout).error.code).toBe('NOT_FOUND');
    expect(existsSync(file)).toBe(false);
  });
});

describe('party add --server', () => {
  const gln = '952149000000' + String(gs1CheckDigit('952149000000'));

  it('registers the party with a key made here: the secret stays in the 0600 key file, the ledger holds the public key', async () => {
    const keyFile = join(dir, 'pharmacy-9.key');
    const r = await remote(tokens.regulator, 'party', 'add', '--party', 'pharmacy-9', '--role', 'pharmacy', '--name', 'Pharmacy 9', '--location', gln, '--key', keyFile, '--json');
    expect(r.code).toBe(0);
    const added = JSON.parse(r.stdout);
    expect(added).toMatchObject({ ok: true, keyFile, party: { party: 'pharmacy-9', role: 'pharmacy' } });
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(keyFile, 'utf8')).toContain(`pharmacy-9 ${added.keyId} `);
    const list = JSON.parse((await runCli(['party', 'list', '--db', db, '--json'])).stdout);
    expect(list.parties.map((p: { party: string }) => p.party)).toContain('pharmacy-9');
  });

  it('a refused registration removes the key file it made (an existing party: exit 1)', async () => {
    const keyFile = join(dir, 'pharmacy-1-again.key');
    const unused = '952149100000' + String(gs1CheckDigit('952149100000'));
    const r = await remote(tokens.regulator, 'party', 'add', '--party', 'pharmacy-1', '--role', 'pharmacy', '--name', 'Again', '--location', unused, '--key', keyFile, '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'LEDGER_PARTY_EXISTS', status: 409 });
    expect(existsSync(keyFile)).toBe(false);
    const conflict = await remote(tokens.regulator, 'party', 'add', '--party', 'pharmacy-10', '--role', 'pharmacy', '--name', 'Ten', '--location', gln, '--key', keyFile, '--json');
    expect([conflict.code, JSON.parse(conflict.stdout).error.code]).toEqual([2, 'TRACE_BAD_REGISTRATION']);
    expect(existsSync(keyFile)).toBe(false);
  });
});

describe('recall record --server', () => {
  it('signs a one-lot campaign with the key file and the server records it: the local recall report then shows the lot recalled', async () => {
    const lot = demo.lots.find((l) => l.lot !== demo.lookAt.recallLot.lot)!;
    const key = join(dir, 'mah-huaxin.key');
    const args = ['recall', 'record', '--gtin', lot.gtin, '--lot', lot.lot, '--reason', 'sterility not assured', '--party', 'mah-huaxin', '--key', key];
    const noClass = await remote(tokens.manufacturer, ...args, '--json');
    expect([noClass.code, JSON.parse(noClass.stdout).error.code]).toEqual([2, 'CLI_BAD_OPTION']);
    const r = await remote(tokens.manufacturer, ...args, '--class', 'II', '--json');
    expect(r.code).toBe(0);
    const recorded = JSON.parse(r.stdout);
    expect(recorded).toMatchObject({ ok: true, lot: lot.lot, duplicate: false });
    expect(recorded.units).toBeGreaterThan(0);
    const report = JSON.parse((await runCli(['recall', 'report', '--gtin', lot.gtin, '--lot', lot.lot, '--db', db, '--json'])).stdout);
    expect(report.recalls.map((x: { position: number }) => x.position)).toContain(recorded.position);
  });

  it("a token of another party than the key's signer is refused (403 AUTH_SIGNER_MISMATCH, exit 2)", async () => {
    const lot = demo.lots.find((l) => l.lot !== demo.lookAt.recallLot.lot)!;
    const r = await remote(tokens.otherManufacturer, 'recall', 'record', '--gtin', lot.gtin, '--lot', lot.lot, '--reason', 'x', '--party', 'mah-huaxin', '--key', join(dir, 'mah-huaxin.key'), '--class', 'I', '--json');
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'AUTH_SIGNER_MISMATCH', status: 403 });
  });
});
