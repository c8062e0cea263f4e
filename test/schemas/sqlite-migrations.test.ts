/**
 * SQLite migrations that rebuild trace tables keep every row of a database built before them, and
 * the queries read the same history from it: 0005 made the per-code event index leaner
 * (trace_unit_events keeps code, position, item, via, role, quantity, uom; the event's facts stay
 * in trace_events), 0006 clustered it and the container intervals by primary key (WITHOUT ROWID),
 * 0007 numbered the codes (trace_code_events holds the numbers; the view trace_unit_events reads
 * as the table did).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqlite } from '../../schemas/sqlite.ts';
import { unitHistory } from '../../trace/queries/index.ts';

const MIGRATIONS = fileURLToPath(new URL('../../schemas/migrations/sqlite', import.meta.url));
const LEAN_INDEX = '0005_long_veda';
const CLUSTERED = '0006_clustered_code_index';
const CODE_IDS = '0007_code_ids';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'drugtrace-migrations-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A database migrated up to (not including) `tag`, from a copy of the migrations cut there. */
function migratedUntil(file: string, tag: string): void {
  const folder = join(dir, 'migrations');
  cpSync(MIGRATIONS, folder, { recursive: true });
  const journalFile = join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: Array<{ tag: string }> };
  const at = journal.entries.findIndex((e) => e.tag === tag);
  expect(at).toBeGreaterThan(0);
  writeFileSync(journalFile, JSON.stringify({ ...journal, entries: journal.entries.slice(0, at) }));
  const db = new Database(file);
  migrate(drizzle(db), { migrationsFolder: folder });
  db.close();
}

const CODE = 'https://id.gs1.org/01/09506000134352/21/SERIAL1';
const PALLET = 'https://id.gs1.org/00/106141410000000011';

describe(`SQLite migration ${LEAN_INDEX} (the leaner per-code event index)`, () => {
  it('keeps every index row of an existing database, drops the repeated columns, and history reads the same events', () => {
    const file = join(dir, 'old.db');
    migratedUntil(file, LEAN_INDEX);
    const old = new Database(file);
    const columns = () => (old.prepare("SELECT name FROM pragma_table_info('trace_unit_events') ORDER BY cid").pluck().all() as string[]).join(', ');
    expect(columns()).toBe('code, position, item, hash_id, event_time, biz_step, disposition, party, via, role, quantity, uom');
    const event = old.prepare(
      'INSERT INTO trace_events (hash_id, position, item, event_type, action, biz_step, disposition, event_time, party, biz_location) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const index = old.prepare(
      'INSERT INTO trace_unit_events (code, position, item, hash_id, event_time, biz_step, disposition, party, via, role, quantity, uom) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const loc = 'https://id.gs1.org/414/0614141000012';
    event.run('ni:///sha-256;aa?ver=CBV2.0', 3, 0, 'ObjectEvent', 'ADD', 'commissioning', 'active', '2026-03-01T08:00:00.000Z', 'acme', loc);
    event.run('ni:///sha-256;bb?ver=CBV2.0', 4, 1, 'ObjectEvent', 'OBSERVE', 'shipping', 'in_transit', '2026-03-02T08:00:00.000Z', 'acme', loc);
    index.run(CODE, 3, 0, 'ni:///sha-256;aa?ver=CBV2.0', '2026-03-01T08:00:00.000Z', 'commissioning', 'active', 'acme', null, 'epc', null, null);
    index.run(CODE, 4, 1, 'ni:///sha-256;bb?ver=CBV2.0', '2026-03-02T08:00:00.000Z', 'shipping', 'in_transit', 'acme', PALLET, 'epc', null, null);
    index.run(PALLET, 4, 1, 'ni:///sha-256;bb?ver=CBV2.0', '2026-03-02T08:00:00.000Z', 'shipping', 'in_transit', 'acme', null, 'epc', 2.5, 'KGM');
    old.close();

    const store = openSqlite(file);
    try {
      const db = store.sql;
      expect((db.prepare("SELECT name FROM pragma_table_info('trace_unit_events') ORDER BY cid").pluck().all() as string[]).join(', ')).toBe(
        'code, position, item, via, role, quantity, uom',
      );
      expect(db.prepare('SELECT * FROM trace_unit_events ORDER BY code, position, item').raw().all()).toEqual([
        [PALLET, 4, 1, null, 'epc', 2.5, 'KGM'],
        [CODE, 3, 0, null, 'epc', null, null],
        [CODE, 4, 1, PALLET, 'epc', null, null],
      ]);
      const history = unitHistory(store, CODE);
      expect(history.events.map((e) => [e.position, e.item, e.hashId, e.eventTime, e.bizStep, e.disposition, e.party, e.via])).toEqual([
        [3, 0, 'ni:///sha-256;aa?ver=CBV2.0', '2026-03-01T08:00:00.000Z', 'commissioning', 'active', 'acme', null],
        [4, 1, 'ni:///sha-256;bb?ver=CBV2.0', '2026-03-02T08:00:00.000Z', 'shipping', 'in_transit', 'acme', PALLET],
      ]);
    } finally {
      store.close();
    }
  });
});

/** 1 when SQLite stores `table` WITHOUT ROWID (clustered by its primary key). */
function withoutRowid(db: Database.Database, table: string): number {
  return db.prepare('SELECT wr FROM pragma_table_list WHERE name = ?').pluck().get(table) as number;
}

describe(`SQLite migration ${CLUSTERED} (code index and container intervals clustered by primary key)`, () => {
  it('a new database has both tables WITHOUT ROWID, with no separate primary-key index', () => {
    const store = openSqlite(join(dir, 'new.db'));
    try {
      expect(withoutRowid(store.sql, 'trace_code_events')).toBe(1);
      expect(withoutRowid(store.sql, 'trace_containers')).toBe(1);
      expect(store.sql.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('trace_code_events', 'trace_containers') ORDER BY name").pluck().all()).toEqual([
        'trace_code_events_event',
        'trace_containers_parent',
      ]);
    } finally {
      store.close();
    }
  });

  it('keeps every row and the history of a database built before it', () => {
    const file = join(dir, 'old.db');
    migratedUntil(file, CLUSTERED);
    const old = new Database(file);
    expect(withoutRowid(old, 'trace_unit_events')).toBe(0);
    const loc = 'https://id.gs1.org/414/0614141000012';
    const event = old.prepare('INSERT INTO trace_events (hash_id, position, item, event_type, action, biz_step, disposition, event_time, party, biz_location) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    event.run('ni:///sha-256;aa?ver=CBV2.0', 3, 0, 'ObjectEvent', 'ADD', 'commissioning', 'active', '2026-03-01T08:00:00.000Z', 'acme', loc);
    event.run('ni:///sha-256;cc?ver=CBV2.0', 3, 1, 'AggregationEvent', 'ADD', 'packing', null, '2026-03-01T09:00:00.000Z', 'acme', loc);
    event.run('ni:///sha-256;bb?ver=CBV2.0', 4, 0, 'ObjectEvent', 'OBSERVE', 'shipping', 'in_transit', '2026-03-02T08:00:00.000Z', 'acme', loc);
    const index = old.prepare('INSERT INTO trace_unit_events (code, position, item, via, role, quantity, uom) VALUES (?, ?, ?, ?, ?, ?, ?)');
    // Inserted out of key order, as capture writes them: the migration must not depend on it.
    index.run(PALLET, 4, 0, null, 'epc', 2.5, 'KGM');
    index.run(CODE, 4, 0, PALLET, 'epc', null, null);
    index.run(PALLET, 3, 1, null, 'parent', null, null);
    index.run(CODE, 3, 1, null, 'child', null, null);
    index.run(CODE, 3, 0, null, 'epc', null, null);
    old.prepare('INSERT INTO trace_containers (parent, child, from_position, from_item, to_position, to_item) VALUES (?, ?, ?, ?, ?, ?)').run(PALLET, CODE, 3, 1, null, null);
    old.close();

    const store = openSqlite(file);
    try {
      const db = store.sql;
      expect(withoutRowid(db, 'trace_code_events')).toBe(1);
      expect(withoutRowid(db, 'trace_containers')).toBe(1);
      expect(db.prepare('SELECT * FROM trace_unit_events ORDER BY code, position, item').raw().all()).toEqual([
        [PALLET, 3, 1, null, 'parent', null, null],
        [PALLET, 4, 0, null, 'epc', 2.5, 'KGM'],
        [CODE, 3, 0, null, 'epc', null, null],
        [CODE, 3, 1, null, 'child', null, null],
        [CODE, 4, 0, PALLET, 'epc', null, null],
      ]);
      expect(db.prepare('SELECT * FROM trace_containers').raw().all()).toEqual([[PALLET, CODE, 3, 1, null, null]]);
      const history = unitHistory(store, CODE);
      expect(history.events.map((e) => [e.position, e.item, e.bizStep, e.role, e.via])).toEqual([
        [3, 0, 'commissioning', 'epc', null],
        [3, 1, 'packing', 'child', null],
        [4, 0, 'shipping', 'epc', PALLET],
      ]);
      expect(history.containers).toEqual([{ parent: PALLET, from: { position: 3, item: 1 }, to: null }]);
    } finally {
      store.close();
    }
  });
});

describe(`SQLite migration ${CODE_IDS} (codes numbered in the per-code index)`, () => {
  const CASE = 'https://id.gs1.org/00/106141410000000028';
  const LOT = 'https://id.gs1.org/01/09506000134352/10/LOT1';

  it('numbers every code once, in code order, keeps every index row, and the view reads as the table did', () => {
    const file = join(dir, 'old.db');
    migratedUntil(file, CODE_IDS);
    const old = new Database(file);
    const loc = 'https://id.gs1.org/414/0614141000012';
    const event = old.prepare('INSERT INTO trace_events (hash_id, position, item, event_type, action, biz_step, disposition, event_time, party, biz_location) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    event.run('ni:///sha-256;aa?ver=CBV2.0', 3, 0, 'ObjectEvent', 'ADD', 'commissioning', 'active', '2026-03-01T08:00:00.000Z', 'acme', loc);
    event.run('ni:///sha-256;cc?ver=CBV2.0', 3, 1, 'AggregationEvent', 'ADD', 'packing', null, '2026-03-01T09:00:00.000Z', 'acme', loc);
    event.run('ni:///sha-256;bb?ver=CBV2.0', 4, 0, 'ObjectEvent', 'OBSERVE', 'shipping', 'in_transit', '2026-03-02T08:00:00.000Z', 'acme', loc);
    const index = old.prepare('INSERT INTO trace_unit_events (code, position, item, via, role, quantity, uom) VALUES (?, ?, ?, ?, ?, ?, ?)');
    const rows = [
      [PALLET, 3, 1, null, 'parent', null, null],
      [PALLET, 4, 0, null, 'epc', null, null],
      [CODE, 3, 0, null, 'epc', null, null],
      [CODE, 3, 1, null, 'child', null, null],
      // A container named only as `via` (no row of its own) still gets a number.
      [CODE, 4, 0, CASE, 'epc', null, null],
      [LOT, 4, 0, null, 'quantity', 2.5, 'KGM'],
    ];
    for (const r of [...rows].reverse()) index.run(...r);
    old.prepare('INSERT INTO trace_containers (parent, child, from_position, from_item, to_position, to_item) VALUES (?, ?, ?, ?, ?, ?)').run(PALLET, CODE, 3, 1, null, null);
    old.close();

    const store = openSqlite(file);
    try {
      const db = store.sql;
      expect(db.prepare("SELECT type FROM sqlite_master WHERE name = 'trace_unit_events'").pluck().get()).toBe('view');
      expect(withoutRowid(db, 'trace_code_events')).toBe(1);
      expect(db.prepare('SELECT id, code FROM trace_codes ORDER BY id').raw().all()).toEqual([
        [1, PALLET],
        [2, CASE],
        [3, LOT],
        [4, CODE],
      ]);
      expect(db.prepare('SELECT * FROM trace_code_events ORDER BY code_id, position, item').raw().all()).toEqual([
        [1, 3, 1, null, 'parent', null, null],
        [1, 4, 0, null, 'epc', null, null],
        [3, 4, 0, null, 'quantity', 2.5, 'KGM'],
        [4, 3, 0, null, 'epc', null, null],
        [4, 3, 1, null, 'child', null, null],
        [4, 4, 0, 2, 'epc', null, null],
      ]);
      expect(db.prepare('SELECT * FROM trace_unit_events').raw().all().sort()).toEqual([...rows].sort());
      const history = unitHistory(store, CODE);
      expect(history.events.map((e) => [e.position, e.item, e.bizStep, e.role, e.via])).toEqual([
        [3, 0, 'commissioning', 'epc', null],
        [3, 1, 'packing', 'child', null],
        [4, 0, 'shipping', 'epc', CASE],
      ]);
      // Codes seen later are numbered after the migrated ones.
      expect(db.prepare('INSERT INTO trace_codes (code) VALUES (?) RETURNING id').pluck().get('https://id.gs1.org/00/106141410000000035')).toBe(5);
    } finally {
      store.close();
    }
  });
});
