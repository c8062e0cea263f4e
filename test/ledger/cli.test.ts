/** drugtrace init, ledger verify|checkpoint|append and proof export, end to end on a temp database. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, renameSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../schemas/store.ts';
import { runCli as run } from '../helpers/run-cli.ts';
import { Ledger } from '../../ledger/ledger.ts';
import { toBase64 } from '../../ledger/bytes.ts';
import { addParty, batchDocument, type TestParty } from './helpers.ts';
import type { SignedDocument } from '../../ledger/entry.ts';

let dir: string;
let db: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'drugtrace-ledger-cli-'));
  db = join(dir, 'test.db');
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});


function documentFile(doc: SignedDocument, name = 'doc.json'): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify({ body: doc.body, signature: doc.signature, items: doc.items?.map(toBase64) }));
  return file;
}

/** init through the CLI, then a party with a key through the API. */
async function initWithParty(): Promise<TestParty> {
  expect((await run(['init', '--db', db, '--origin', 'cli.example/log'])).code).toBe(0);
  const ledger = Ledger.open(db);
  const acme = addParty(ledger, 'acme');
  ledger.close();
  return acme;
}

describe('drugtrace init', () => {
  it('creates the ledger and a 0600 operator key file, printing one JSON document', async () => {
    const r = await run(['init', '--db', db, '--origin', 'cli.example/log', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ ok: true, db, keyFile: `${db}.operator-key`, origin: 'cli.example/log' });
    expect(doc.verifierKey).toMatch(/^cli\.example\/log\+[0-9a-f]{8}\+/);
    expect(statSync(`${db}.operator-key`).mode & 0o777).toBe(0o600);
  });

  it('refuses to initialise an existing ledger (exit 2, LEDGER_ALREADY_INITIALIZED)', async () => {
    await run(['init', '--db', db]);
    const r = await run(['init', '--db', db, '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.code).toBe('LEDGER_ALREADY_INITIALIZED');
  });

  it('mentions the operator key file and the later admin token in --help', async () => {
    const r = await run(['init', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('operator-key');
    expect(r.stdout).toContain('admin token');
  });
});

describe('drugtrace ledger append', () => {
  it('appends a signed document, returns the same receipt for a repeat, refuses a forgery with exit 1', async () => {
    const acme = await initWithParty();
    const doc = batchDocument(acme, 1, 4);
    const file = documentFile(doc);
    const first = await run(['ledger', 'append', file, '--db', db, '--json']);
    expect(first.code).toBe(0);
    const receipt = JSON.parse(first.stdout);
    expect(receipt).toMatchObject({ ok: true, position: 3, duplicate: false });
    const again = JSON.parse((await run(['ledger', 'append', file, '--db', db, '--json'])).stdout);
    expect(again).toEqual({ ...receipt, duplicate: true });
    const forged = documentFile({ ...doc, body: { ...doc.body, payload: { doc: 2 } } }, 'forged.json');
    const r = await run(['ledger', 'append', forged, '--db', db, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.code).toBe('LEDGER_BAD_SIGNATURE');
  });

  it('exits 2 for a file that is not JSON', async () => {
    await initWithParty();
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{');
    expect((await run(['ledger', 'append', file, '--db', db])).code).toBe(2);
  });
});

describe('drugtrace ledger checkpoint', () => {
  it('prints the signed note, signing a new checkpoint only when the log grew', async () => {
    const acme = await initWithParty();
    const r = await run(['ledger', 'checkpoint', '--db', db]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^cli\.example\/log\n3\n[A-Za-z0-9+/]{43}=\n\n— cli\.example\/log [A-Za-z0-9+/]+=*\n$/);
    const same = JSON.parse((await run(['ledger', 'checkpoint', '--db', db, '--json'])).stdout);
    expect(same).toMatchObject({ ok: true, created: false, size: 3 });
    await run(['ledger', 'append', documentFile(batchDocument(acme, 1, 2)), '--db', db]);
    const grown = JSON.parse((await run(['ledger', 'checkpoint', '--db', db, '--json'])).stdout);
    expect(grown).toMatchObject({ ok: true, created: true, size: 4 });
  });

  it('without the operator key shows the newest stored checkpoint, or exits 2 when there is none', async () => {
    await initWithParty();
    renameSync(`${db}.operator-key`, join(dir, 'elsewhere.key'));
    expect((await run(['ledger', 'checkpoint', '--db', db])).code).toBe(2);
    renameSync(join(dir, 'elsewhere.key'), `${db}.operator-key`);
    await run(['ledger', 'checkpoint', '--db', db]);
    renameSync(`${db}.operator-key`, join(dir, 'elsewhere.key'));
    const r = await run(['ledger', 'checkpoint', '--db', db, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ created: false, size: 3 });
  });
});

describe('drugtrace ledger verify', () => {
  it('verifies from a separate process what this one appended (the installed bin, the same database)', async () => {
    const acme = await initWithParty();
    const ledger = Ledger.open(db);
    ledger.append(batchDocument(acme, 1, 3));
    const root = Buffer.from(ledger.root()).toString('hex');
    ledger.close();
    const bin = fileURLToPath(new URL('../../bin/drugtrace.js', import.meta.url));
    const report = JSON.parse(execFileSync(process.execPath, [bin, 'ledger', 'verify', '--db', db, '--json'], { encoding: 'utf8' }));
    expect(report).toMatchObject({ ok: true, size: 4, items: 3, root });
  });

  it('exits 0 on an intact ledger and 1 naming the first bad entry after tampering', async () => {
    const acme = await initWithParty();
    await run(['ledger', 'append', documentFile(batchDocument(acme, 1, 5)), '--db', db]);
    await run(['ledger', 'append', documentFile(batchDocument(acme, 2, 5), 'b.json'), '--db', db]);
    const ok = await run(['ledger', 'verify', '--db', db, '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, size: 5, items: 10 });

    const raw = openStore(db);
    const item = raw.sql.prepare('SELECT bytes FROM ledger_items WHERE entry_position = 4 AND item_index = 2').pluck().get() as Buffer;
    expect(item.toString('utf8')).toContain('OBSERVE');
    raw.sql.prepare('UPDATE ledger_items SET bytes = ? WHERE entry_position = 4 AND item_index = 2').run(Buffer.from(item.toString('utf8').replace('OBSERVE', 'OBSERVF'), 'utf8'));
    raw.close();
    const bad = await run(['ledger', 'verify', '--db', db, '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).failure).toMatchObject({ code: 'LEDGER_BAD_ITEM', position: 4, itemIndex: 2, table: 'ledger_items' });
    const human = await run(['ledger', 'verify', '--db', db]);
    expect(human.code).toBe(1);
    expect(human.stderr).toContain('FAILED at entry 4: LEDGER_BAD_ITEM');
  });

  it('exits 2 when there is no ledger', async () => {
    const r = await run(['ledger', 'verify', '--db', join(dir, 'none.db'), '--json']);
    expect(r.code).toBe(2);
    expect(existsSync(join(dir, 'none.db'))).toBe(false);
  });
});

describe('drugtrace proof export', () => {
  it('writes a bundle that proof verify accepts', async () => {
    const acme = await initWithParty();
    await run(['ledger', 'append', documentFile(batchDocument(acme, 1, 3)), '--db', db]);
    const out = join(dir, 'bundle.json');
    const r = await run(['proof', 'export', '--position', '3', '--out', out, '--db', db, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, entries: 3, positions: [3], checkpointSize: 4 });
    const check = await run(['proof', 'verify', out, '--json']);
    expect(check.code).toBe(0);
    expect(JSON.parse(check.stdout).ok).toBe(true);
  });

  it('exits 2 for a position that is not a number or not in the ledger', async () => {
    await initWithParty();
    const out = join(dir, 'bundle.json');
    expect((await run(['proof', 'export', '--position', 'x', '--out', out, '--db', db])).code).toBe(2);
    expect((await run(['proof', 'export', '--position', '99', '--out', out, '--db', db])).code).toBe(2);
    expect(existsSync(out)).toBe(false);
  });
});
