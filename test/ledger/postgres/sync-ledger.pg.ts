/**
 * The synchronous `Ledger` on PostgreSQL (through the sync connection of schemas/pg): several
 * processes appending to one ledger at once are sequenced by the writer lock taken at BEGIN, and
 * a SQLite ledger copied over with `drugtrace ledger copy` verifies, proves and goes on exactly
 * like the original, through the CLI and the sync `Ledger` alike.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ed25519, sha256 } from '../../../ledger/crypto-node.ts';
import { toHex } from '../../../ledger/bytes.ts';
import type { Receipt } from '../../../ledger/entry.ts';
import { Ledger } from '../../../ledger/ledger.ts';
import { verifyLedger } from '../../../ledger/verify.ts';
import { verifyConsistency } from '../../../ledger/merkle.ts';
import { serializeBundle } from '../../../ledger/bundle.ts';
import { freshDatabase } from '../../helpers/postgres.ts';
import { runWriter } from './run-writer.ts';
import { runCli } from '../../helpers/run-cli.ts';
import { addParty, batchDocument, cosignLatestCheckpoint, plainDocument } from '../helpers.ts';

const CHILD = fileURLToPath(new URL('./sync-writer-child.ts', import.meta.url));
const WRITERS = 4;
const DOCS_PER_WRITER = 16;

let database: Awaited<ReturnType<typeof freshDatabase>>;
let dir: string;
const keyDirBefore = process.env.DRUGTRACE_KEY_DIR;

beforeEach(async () => {
  database = await freshDatabase();
  dir = mkdtempSync(join(tmpdir(), 'drugtrace-sync-pg-'));
});

afterEach(async () => {
  if (keyDirBefore === undefined) delete process.env.DRUGTRACE_KEY_DIR;
  else process.env.DRUGTRACE_KEY_DIR = keyDirBefore;
  rmSync(dir, { recursive: true, force: true });
  await database.drop();
});

describe('the synchronous Ledger on PostgreSQL with concurrent writer processes', () => {
  it('sequences every append with no gap, no duplicate position, one tree and one chain of consistent checkpoints', async () => {
    const keyFile = join(dir, 'operator.key');
    const ledger = Ledger.init(database.url, { origin: 'drugtrace.example/sync-concurrent', keyFile });
    try {
      expect(ledger.store.dialect).toBe('postgres');
      const parties = [];
      for (let w = 0; w < WRITERS; w++) {
        const p = addParty(ledger, `writer-${w}`);
        parties.push({ party: p.party, keyId: p.keyId, secret: Buffer.from(p.secret).toString('hex'), firstDoc: w * 1000 });
      }
      const before = ledger.size();

      const outputs = await Promise.all(parties.map((p) => runWriter(CHILD, [database.url, keyFile, JSON.stringify(p), String(DOCS_PER_WRITER)])));
      const lines = outputs.flat().map((l) => JSON.parse(l) as { receipt?: Receipt; checkpoint?: { size: number; created: boolean } });
      const receipts = lines.flatMap((l) => (l.receipt ? [l.receipt] : []));
      expect(receipts).toHaveLength(WRITERS * DOCS_PER_WRITER);
      expect(receipts.every((r) => !r.duplicate)).toBe(true);

      // Dense and unique: exactly the positions after the registrations, each once.
      const positions = receipts.map((r) => r.position).sort((a, b) => a - b);
      expect(positions).toEqual(Array.from({ length: receipts.length }, (_, i) => before + i));
      expect(ledger.size()).toBe(before + receipts.length);
      for (const r of receipts) expect(toHex(ledger.get(r.position).leafHash)).toBe(r.leafHash);

      // Each entry links to the one before it: one chain, no fork.
      for (let p = 1; p < ledger.size(); p++) expect(ledger.get(p).entry.prev).toBe(toHex(ledger.get(p - 1).entryHash));

      // The writers interleaved (otherwise this tested nothing concurrent).
      const byPosition = receipts.map((r, i) => ({ r, writer: Math.floor(i / DOCS_PER_WRITER) })).sort((a, b) => a.r.position - b.r.position);
      const switches = byPosition.filter((x, i) => i > 0 && x.writer !== byPosition[i - 1].writer).length;
      expect(switches).toBeGreaterThan(WRITERS);

      // Every checkpoint a writer created is stored once; each root is the tree's root recomputed
      // at its size, and each extends the one before it.
      const created = lines.flatMap((l) => (l.checkpoint?.created ? [l.checkpoint.size] : []));
      expect(new Set(created).size).toBe(created.length);
      const stored = created.sort((a, b) => a - b).map((size) => ledger.checkpointAt(size));
      expect(stored.length).toBeGreaterThan(0);
      for (const cp of stored) expect(toHex(cp.root)).toBe(toHex(ledger.root(cp.size)));
      for (let i = 1; i < stored.length; i++) {
        const proof = ledger.consistencyProof(stored[i - 1].size, stored[i].size);
        expect(verifyConsistency(sha256, stored[i - 1].size, stored[i].size, stored[i - 1].root, stored[i].root, proof.proof)).toBe(true);
      }

      const report = verifyLedger(ledger.store);
      expect(report.failure).toBeUndefined();
      expect(report).toMatchObject({ ok: true, size: before + receipts.length, checkpoints: created.length });
      expect(report.root).toBe(toHex(ledger.root()));
    } finally {
      ledger.close();
    }
  });
});

describe('drugtrace ledger copy from SQLite to PostgreSQL', () => {
  const now = () => new Date('2026-11-27T12:00:00.000Z');

  /** A SQLite ledger with parties, a rotated key, batches, a recall, checkpoints and a cosignature. */
  async function sqliteLedger(file: string): Promise<{ acme: { party: string; keyId: string; secret: Uint8Array } }> {
    const ledger = Ledger.init(file, { origin: 'copy.example/log', now });
    const acme = addParty(ledger, 'acme');
    const beta = addParty(ledger, 'beta');
    ledger.append(batchDocument(acme, 1, 5));
    ledger.append(batchDocument(beta, 2, 3));
    ledger.checkpoint();
    const next = ed25519.generateSecretKey();
    const rotated = ledger.rotateKey('acme', acme.keyId, ed25519.publicKey(next));
    const acme2 = { party: 'acme', keyId: rotated.keyId, secret: next };
    ledger.append(plainDocument(beta, 'recall', { lot: 'L1', reason: 'contamination' }));
    ledger.append(batchDocument(acme2, 3, 7));
    await cosignLatestCheckpoint(ledger);
    ledger.append(batchDocument(acme2, 4, 2));
    expect(ledger.store.dialect).toBe('sqlite');
    ledger.close();
    return { acme: acme2 };
  }

  it('gives a PostgreSQL ledger that verifies identically through the CLI and the sync Ledger, proves the same and goes on the same', async () => {
    const file = join(dir, 'source.db');
    const { acme } = await sqliteLedger(file);
    process.env.DRUGTRACE_KEY_DIR = dir;

    const copy = await runCli(['ledger', 'copy', '--db', file, '--to', database.url, '--json']);
    expect(copy.stderr).toBe('');
    expect(copy.code).toBe(0);
    const copied = JSON.parse(copy.stdout);
    expect(copied).toMatchObject({ ok: true, entries: 11, items: 17, checkpoints: 2 });
    expect(copied.to).not.toContain(new URL(database.url).password);
    // The operator key went along, named after the database, readable by its owner only.
    const keyFile = join(dir, `${database.name}.operator-key`);
    expect(copied.keyFile).toBe(keyFile);
    expect(readFileSync(keyFile)).toEqual(readFileSync(`${file}.operator-key`));
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);

    const fromSqlite = await runCli(['ledger', 'verify', '--db', file, '--json']);
    const fromPg = await runCli(['ledger', 'verify', '--db', database.url, '--json']);
    expect(fromPg.code).toBe(0);
    expect(JSON.parse(fromPg.stdout)).toEqual(JSON.parse(fromSqlite.stdout));
    expect(JSON.parse(fromPg.stdout)).toMatchObject({ ok: true, size: 11, items: 17, checkpoints: 2, root: copied.root });

    const original = Ledger.open(file, { now });
    const onPg = Ledger.open(database.url, { now });
    try {
      expect(onPg.store.dialect).toBe('postgres');
      expect(verifyLedger(onPg.store)).toEqual(verifyLedger(original.store));
      expect(onPg.operatorKeyId).toBe(original.operatorKeyId);
      expect(onPg.keys()).toEqual(original.keys());
      expect(toHex(onPg.root(7))).toBe(toHex(original.root(7)));
      expect(onPg.inclusionProof(4, 9)).toEqual(original.inclusionProof(4, 9));
      expect(onPg.itemProof(9, 3)).toEqual(original.itemProof(9, 3));
      expect(serializeBundle(onPg.exportBundle([3, 8, 10]))).toBe(serializeBundle(original.exportBundle([3, 8, 10])));

      // Both go on the same: the same next receipt and the same newly signed checkpoint.
      const doc = batchDocument(acme, 5, 4);
      expect(onPg.append(doc)).toEqual(original.append(doc));
      expect(onPg.append(doc)).toMatchObject({ duplicate: true });
      const a = onPg.checkpoint();
      const b = original.checkpoint();
      expect(a).toEqual(b);
      expect(a).toMatchObject({ created: true, size: 12 });
    } finally {
      onPg.close();
      original.close();
    }

    // A second copy into the same database is refused, and so is a copy of nothing.
    const again = await runCli(['ledger', 'copy', '--db', file, '--to', database.url, '--json']);
    expect(again.code).toBe(2);
    expect(JSON.parse(again.stdout).error.code).toBe('LEDGER_ALREADY_INITIALIZED');
    const none = await runCli(['ledger', 'copy', '--db', join(dir, 'none.db'), '--to', database.url, '--json']);
    expect(none.code).toBe(2);
    expect(JSON.parse(none.stdout).error.code).toBe('LEDGER_NOT_INITIALIZED');
    expect(existsSync(join(dir, 'none.db'))).toBe(false);
  });

  it('opens a URL ledger read-only when its operator key file is not in DRUGTRACE_KEY_DIR', async () => {
    const file = join(dir, 'source.db');
    await sqliteLedger(file);
    process.env.DRUGTRACE_KEY_DIR = dir;
    expect((await runCli(['ledger', 'copy', '--db', file, '--to', database.url])).code).toBe(0);
    process.env.DRUGTRACE_KEY_DIR = join(dir, 'elsewhere');
    const l = Ledger.open(database.url);
    try {
      expect(l.size()).toBe(11);
      expect(() => l.checkpoint()).toThrow(expect.objectContaining({ code: 'LEDGER_OPERATOR_KEY' }));
      expect(() => l.requireSecret()).toThrow(new RegExp(`${database.name}\\.operator-key`));
    } finally {
      l.close();
    }
  });
});
