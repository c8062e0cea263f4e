/**
 * Tampering with the store: for every stored column of every ledger table, changing one byte;
 * and for every table, deleting a row, swapping two rows and truncating the tail. Each must make
 * verifyLedger fail and name the affected entry (or checkpoint). The cases are generated from the
 * schema itself (SQLite's table_info, PostgreSQL's catalog), so a new column is covered without
 * editing this file. Each case changes the template ledger inside a transaction, with the
 * constraints a tamperer could switch off switched off, verifies it there, and rolls back.
 */
import type { SqlConnection } from '../../schemas/connection.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../schemas/store.ts';
import { sqliteConnection } from '../../schemas/sqlite.ts';
import { Ledger } from '../../ledger/ledger.ts';
import { verifyLedger, type VerifyFailure } from '../../ledger/verify.ts';
import { ed25519 } from '../../ledger/crypto-node.ts';
import { addParty, batchDocument, cosignLatestCheckpoint, plainDocument } from './helpers.ts';
import { onPostgres } from '../helpers/dialect.ts';

/** The column naming a row's physical place, for rows whose key a case has just changed. */
const ROWID = onPostgres ? 'ctid' : 'rowid';

let dir: string;
let template: string;

/** A small ledger using every feature: parties, keys, rotation, revocation, batches, checkpoints, a cosignature. */
async function buildTemplate(file: string): Promise<void> {
  const ledger = Ledger.init(file, { origin: 'tamper.example/log', now: () => new Date('2026-11-27T12:00:00.000Z') });
  const acme = addParty(ledger, 'acme');
  const beta = addParty(ledger, 'beta');
  ledger.append(batchDocument(acme, 1, 5));
  ledger.append(batchDocument(beta, 2, 3));
  const newSecret = ed25519.generateSecretKey();
  const rotated = ledger.rotateKey('acme', acme.keyId, ed25519.publicKey(newSecret));
  const acme2 = { party: 'acme', keyId: rotated.keyId, secret: newSecret };
  ledger.append(batchDocument(acme2, 3, 4));
  ledger.append(plainDocument(beta, 'recall', { lot: 'L1', reason: 'contamination' }));
  ledger.checkpoint();
  ledger.revokeKey('beta', beta.keyId, 'key lost');
  ledger.append(batchDocument(acme2, 4, 6));
  ledger.append(batchDocument(acme2, 5, 1));
  await cosignLatestCheckpoint(ledger);
  ledger.append(batchDocument(acme2, 6, 2));
  ledger.close();
}

interface Column {
  name: string;
  type: string;
  pk: boolean;
}

type Row = Record<string, unknown> & { rowid: number | string };

/** What a row is about: the entries and checkpoints whose verification it feeds. */
function targets(table: string, row: Record<string, unknown>): string[] {
  const n = (k: string) => Number(row[k]);
  switch (table) {
    case 'ledger_entries':
      return [`entry:${n('position')}`];
    case 'ledger_items':
      return [`entry:${n('entry_position')}`];
    case 'ledger_merkle_nodes':
      // The entry whose append completed this node.
      return [`entry:${(n('idx') + 1) * 2 ** n('level') - 1}`];
    case 'ledger_parties':
    case 'ledger_keys':
      return [`entry:${n('registered_at')}`];
    case 'ledger_checkpoints':
      return [`checkpoint:${n('size')}`, `checkpoint:${n('previous_size')}`];
    case 'ledger_meta':
      return ['entry:0', `checkpoint:${n('checkpoint_size')}`];
    default:
      throw new Error(`no target rule for ${table}`);
  }
}

function failureTargets(f: VerifyFailure): string[] {
  const out: string[] = [];
  if (f.position !== undefined) out.push(`entry:${f.position}`);
  if (f.checkpointSize !== undefined) out.push(`checkpoint:${f.checkpointSize}`);
  return out;
}

function schema(db: SqlConnection): Map<string, Column[]> {
  const out = new Map<string, Column[]>();
  if (onPostgres) {
    const tables = db
      .prepare("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE 'ledger\\_%' ESCAPE '\\' ORDER BY table_name")
      .pluck()
      .all() as string[];
    for (const t of tables) {
      const cols = db
        .prepare('SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position')
        .all(t) as Array<{ name: string; type: string }>;
      const pk = new Set(
        db
          .prepare('SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = CAST(? AS regclass) AND i.indisprimary')
          .pluck()
          .all(t) as string[],
      );
      out.set(
        t,
        cols.map((c) => ({ name: c.name, type: c.type.toLowerCase(), pk: pk.has(c.name) })),
      );
    }
    return out;
  }
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'ledger\\_%' ESCAPE '\\' ORDER BY name").pluck().all() as string[];
  for (const t of tables) {
    const cols = db.prepare(`PRAGMA table_info(${t})`).all() as Array<{ name: string; type: string; pk: number }>;
    out.set(
      t,
      cols.map((c) => ({ name: c.name, type: c.type.toLowerCase(), pk: c.pk > 0 })),
    );
  }
  return out;
}

class Rollback extends Error {}

/**
 * Runs `mutate` on the template inside a transaction, with what a tamperer could switch off
 * switched off (SQLite: foreign keys and CHECKs; PostgreSQL: the CHECK and foreign key
 * constraints, dropped in the transaction), verifies there, and rolls everything back.
 */
function tampered(mutate: (db: SqlConnection) => string[]): { expected: string[]; failure: VerifyFailure | undefined } {
  const store = openStore(template);
  try {
    if (store.dialect === 'sqlite') {
      sqliteConnection(store).pragma('foreign_keys = OFF');
      sqliteConnection(store).pragma('ignore_check_constraints = ON');
    }
    let result: { expected: string[]; failure: VerifyFailure | undefined } | undefined;
    try {
      store.sql.transaction(() => {
        if (store.dialect === 'postgres') {
          const constraints = store.sql
            .prepare("SELECT conrelid::regclass::text AS t, conname AS c FROM pg_constraint WHERE contype IN ('c', 'f') AND conrelid::regclass::text LIKE 'ledger\\_%' ESCAPE '\\'")
            .all() as Array<{ t: string; c: string }>;
          for (const { t, c } of constraints) store.sql.exec(`ALTER TABLE ${t} DROP CONSTRAINT ${c}`);
        }
        const expected = mutate(store.sql);
        const report = verifyLedger(store);
        result = { expected, failure: report.ok ? undefined : report.failure };
        throw new Rollback();
      })();
    } catch (err) {
      if (!(err instanceof Rollback)) throw err;
    }
    return result!;
  } finally {
    store.close();
  }
}

/** Runs one statement that may collide with a unique key, undoing only it if it does (a savepoint). */
function attempt(db: SqlConnection, fn: () => void): boolean {
  try {
    db.transaction(fn)();
    return true;
  } catch (err) {
    if (/UNIQUE|duplicate key/.test(String(err))) return false;
    throw err;
  }
}

function rowsOf(db: SqlConnection, table: string): Row[] {
  return db.prepare(`SELECT ${ROWID} AS rowid, * FROM ${table} ORDER BY ${ROWID}`).all() as Row[];
}

/** One byte of a value changed: a flipped bit in a blob, another character in text, a flipped bit in an integer. */
function changedValues(value: unknown): unknown[] {
  if (Buffer.isBuffer(value)) {
    const b = Buffer.from(value);
    b[b.length >> 1] ^= 0x01;
    return [b];
  }
  if (typeof value === 'string') {
    const i = value.length >> 1;
    const c = value[i] === 'a' ? 'b' : 'a';
    return [value.slice(0, i) + c + value.slice(i + 1)];
  }
  if (typeof value === 'number') return [0, 1, 2, 3, 4, 5, 6, 7, 8].map((bit) => value ^ (1 << bit));
  throw new Error(`unexpected value ${String(value)}`);
}

function pkWhere(cols: Column[]): string {
  return cols.some((c) => c.pk) ? cols.filter((c) => c.pk).map((c) => `${c.name} = ?`).join(' AND ') : `${ROWID} = ?`;
}

function pkValues(cols: Column[], row: Row): unknown[] {
  return cols.some((c) => c.pk) ? cols.filter((c) => c.pk).map((c) => row[c.name]) : [row.rowid];
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ledger-tamper-'));
  template = join(dir, 'template.db');
  await buildTemplate(template);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the untampered template', () => {
  it('verifies', () => {
    const store = openStore(template);
    const report = verifyLedger(store);
    store.close();
    expect(report.failure).toBeUndefined();
    expect(report).toMatchObject({ ok: true, size: 14, checkpoints: 2, items: 21 });
  });
});

// The schema, read from a fresh database migrated like the template.
const tables = (() => {
  const probe = openStore(':memory:');
  try {
    return schema(probe.sql);
  } finally {
    probe.close();
  }
})();

describe('tampering is caught by verifyLedger, naming the right entry', () => {
  it('covers every ledger table', () => {
    expect([...tables.keys()]).toEqual(['ledger_checkpoints', 'ledger_entries', 'ledger_items', 'ledger_keys', 'ledger_merkle_nodes', 'ledger_meta', 'ledger_parties']);
  });

  for (const [table, cols] of tables) {
    describe(table, () => {
      for (const col of cols) {
        it(`changing one byte of ${col.name}`, () => {
          const { expected, failure } = tampered((db) => {
            const rows = rowsOf(db, table).filter((r) => r[col.name] !== null);
            // The middle row: neither the first nor the last, where there is a choice.
            const row = rows[rows.length >> 1];
            const before = targets(table, row);
            for (const value of changedValues(row[col.name])) {
              // A changed key that collides with another row's is not a one-byte change; try the next bit.
              if (attempt(db, () => db.prepare(`UPDATE ${table} SET ${col.name} = ? WHERE ${pkWhere(cols)}`).run(value, ...pkValues(cols, row)))) {
                return [...before, ...targets(table, { ...row, [col.name]: value })];
              }
            }
            throw new Error(`no one-byte change of ${table}.${col.name} fits`);
          });
          expect(failure, 'verifyLedger did not notice').toBeDefined();
          expect(failureTargets(failure!).some((t) => expected.includes(t)), `${failure!.code}: ${failure!.message} (expected one of ${expected.join(', ')})`).toBe(true);
        });
      }

      it('deleting a row', () => {
        const { expected, failure } = tampered((db) => {
          const rows = rowsOf(db, table);
          const row = rows[rows.length >> 1];
          db.prepare(`DELETE FROM ${table} WHERE ${ROWID} = ?`).run(row.rowid);
          return targets(table, row);
        });
        expect(failure, 'verifyLedger did not notice').toBeDefined();
        expect(failureTargets(failure!).some((t) => expected.includes(t)), `${failure!.code}: ${failure!.message} (expected one of ${expected.join(', ')})`).toBe(true);
      });

      it('swapping two rows', () => {
        const { expected, failure } = tampered((db) => {
          const rows = rowsOf(db, table);
          if (rows.length < 2) {
            // A single-row table (ledger_meta): swap it with a forged second row instead.
            const row = rows[0];
            const values = cols.map((c) => (c.name === 'id' ? 2 : row[c.name]));
            db.prepare(`INSERT INTO ${table} (${cols.map((c) => c.name).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`).run(...values);
            db.prepare(`UPDATE ${table} SET id = CASE id WHEN 1 THEN 3 ELSE 1 END`).run();
            return targets(table, row);
          }
          const a = rows[(rows.length >> 1) - 1];
          const b = rows[rows.length >> 1];
          // Delete both and insert each key with the other's data, so unique columns stay unique.
          const pk = cols.filter((c) => c.pk);
          const keyed = pk.length > 0 ? pk : [];
          const names = cols.map((c) => c.name);
          const insert = db.prepare(`INSERT INTO ${table} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`);
          db.prepare(`DELETE FROM ${table} WHERE ${ROWID} IN (?, ?)`).run(a.rowid, b.rowid);
          const swapped = (keyRow: Row, dataRow: Row) => cols.map((c) => (keyed.includes(c) ? keyRow[c.name] : dataRow[c.name]));
          insert.run(...swapped(a, b));
          insert.run(...swapped(b, a));
          return [...targets(table, a), ...targets(table, b)];
        });
        expect(failure, 'verifyLedger did not notice').toBeDefined();
        expect(failureTargets(failure!).some((t) => expected.includes(t)), `${failure!.code}: ${failure!.message} (expected one of ${expected.join(', ')})`).toBe(true);
      });

      it('truncating the tail', () => {
        const { expected, failure } = tampered((db) => {
          const rows = rowsOf(db, table);
          const tail = rows.slice(Math.max(1, rows.length - 2));
          const cut = tail.length > 0 ? tail : rows;
          for (const row of cut) db.prepare(`DELETE FROM ${table} WHERE ${ROWID} = ?`).run(row.rowid);
          return cut.flatMap((r) => targets(table, r));
        });
        expect(failure, 'verifyLedger did not notice').toBeDefined();
        expect(failureTargets(failure!).some((t) => expected.includes(t)), `${failure!.code}: ${failure!.message} (expected one of ${expected.join(', ')})`).toBe(true);
      });
    });
  }
});
