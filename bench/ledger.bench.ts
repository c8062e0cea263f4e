/**
 * Ledger append and verify throughput, as ratios against baselines run in the same process:
 *  - append: signed 1,000-event documents through Ledger.append (signature check, item hashing,
 *    item tree and paths, entry, items and Merkle nodes in one transaction per document) against a
 *    raw SQLite insert of the very same rows (prepared single-row inserts, one transaction per
 *    document, into the same tables of a fresh database with the same pragmas);
 *  - verify: verifyLedger over the whole store against raw SHA-256 (node:crypto) of the same
 *    bytes (every stored entry and every item, one hash each, from memory).
 * Usage: npx tsx bench/ledger.bench.ts [--docs 50] [--items 1000] [--rounds 3]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { hash as nodeHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../schemas/sqlite.ts';
import { Ledger } from '../ledger/ledger.ts';
import { verifyLedger } from '../ledger/verify.ts';
import { ed25519, sha256 } from '../ledger/crypto-node.ts';
import { signDocument, type SignedDocument } from '../ledger/entry.ts';
import { benchEvent as event } from './fixtures/ledger-items.ts';
import { numberArg } from './fixtures/args.ts';

const DOCS = numberArg('docs', 50);
const ITEMS = numberArg('items', 1000);
const ROUNDS = numberArg('rounds', 3);

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

interface Rows {
  entries: unknown[][];
  items: unknown[][][];
  nodes: unknown[][][];
}

/** Reads back what the ledger wrote per document, to replay the same rows raw. */
function storedRows(ledger: Ledger, firstPosition: number): Rows {
  const db = ledger.store.sql;
  const rows: Rows = { entries: [], items: [], nodes: [] };
  const entry = db.prepare('SELECT position, kind, signer_party, signer_key_id, body_hash, prev_hash, entry_hash, leaf_hash, bytes FROM ledger_entries WHERE position = ?').raw();
  const items = db.prepare('SELECT entry_position, item_index, item_hash, bytes, path FROM ledger_items WHERE entry_position = ? ORDER BY item_index').raw();
  const nodes = db.prepare('SELECT level, idx, hash FROM ledger_merkle_nodes WHERE idx = (? + 1) / (1 << level) - 1 AND ((? + 1) % (1 << level)) = 0').raw();
  for (let p = firstPosition; p < ledger.size(); p++) {
    rows.entries.push(entry.get(p) as unknown[]);
    rows.items.push(items.all(p) as unknown[][]);
    rows.nodes.push(nodes.all(p, p) as unknown[][]);
  }
  return rows;
}

function setup(dir: string, name: string) {
  const file = join(dir, `${name}.db`);
  const ledger = Ledger.init(file, { origin: 'bench.example/log' });
  ledger.registerParty('acme');
  const secret = ed25519.generateSecretKey();
  const { keyId } = ledger.registerKey('acme', ed25519.publicKey(secret));
  return { ledger, secret, keyId };
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-bench-'));
  try {
    console.log(`ledger bench: ${DOCS} documents x ${ITEMS} events, ${ROUNDS} rounds, node ${process.version}`);
    const party = setup(dir, 'signing');
    const docs: SignedDocument[] = [];
    for (let d = 0; d < DOCS; d++) {
      const items = Array.from({ length: ITEMS }, (_, i) => event(d, i));
      docs.push(signDocument({ kind: 'capture', signer: { party: 'acme', keyId: party.keyId }, payload: { doc: d }, items }, party.secret, { sha256, ed25519 }));
    }
    party.ledger.close();
    const events = DOCS * ITEMS;
    const bytesPerEvent = docs[0].items!.reduce((s, b) => s + b.length, 0) / ITEMS;
    console.log(`  event size ~${bytesPerEvent.toFixed(0)} bytes`);

    let bestAppend = Infinity;
    let bestRaw = Infinity;
    let bestRawBatched = Infinity;
    let rows: Rows | undefined;
    let verifyTarget: Ledger | undefined;
    for (let round = 0; round < ROUNDS; round++) {
      // The ledger: same key material each round (registered fresh in a new file).
      const file = join(dir, `append-${round}.db`);
      const l = Ledger.init(file, { origin: 'bench.example/log' });
      l.registerParty('acme');
      l.registerKey('acme', ed25519.publicKey(party.secret));
      const first = l.size();
      let t = process.hrtime.bigint();
      for (const doc of docs) l.append(doc);
      bestAppend = Math.min(bestAppend, seconds(t));
      rows ??= storedRows(l, first);
      if (round === ROUNDS - 1) verifyTarget = l;
      else l.close();

      // Raw: the same rows, single-row prepared inserts, one transaction per document.
      const raw = openSqlite(join(dir, `raw-${round}.db`));
      const insEntry = raw.sql.prepare('INSERT INTO ledger_entries (position, kind, signer_party, signer_key_id, body_hash, prev_hash, entry_hash, leaf_hash, bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
      const insItem = raw.sql.prepare('INSERT INTO ledger_items (entry_position, item_index, item_hash, bytes, path) VALUES (?, ?, ?, ?, ?)');
      const insNode = raw.sql.prepare('INSERT INTO ledger_merkle_nodes (level, idx, hash) VALUES (?, ?, ?)');
      const r = rows;
      const writeDoc = raw.sql.transaction((d: number) => {
        insEntry.run(r.entries[d]);
        for (const n of r.nodes[d]) insNode.run(n);
        for (const it of r.items[d]) insItem.run(it);
      });
      t = process.hrtime.bigint();
      for (let d = 0; d < DOCS; d++) writeDoc.immediate(d);
      bestRaw = Math.min(bestRaw, seconds(t));
      raw.close();

      // Raw, batched: the same rows through 64-row multi-value inserts (what the ledger itself does).
      const rawB = openSqlite(join(dir, `rawb-${round}.db`));
      const insEntryB = rawB.sql.prepare('INSERT INTO ledger_entries (position, kind, signer_party, signer_key_id, body_hash, prev_hash, entry_hash, leaf_hash, bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
      const insNodeB = rawB.sql.prepare('INSERT INTO ledger_merkle_nodes (level, idx, hash) VALUES (?, ?, ?)');
      const batchStmts = new Map<number, ReturnType<typeof rawB.sql.prepare>>();
      const batch = (n: number) => {
        let s = batchStmts.get(n);
        if (!s) {
          s = rawB.sql.prepare(`INSERT INTO ledger_items (entry_position, item_index, item_hash, bytes, path) VALUES ${Array.from({ length: n }, () => '(?, ?, ?, ?, ?)').join(', ')}`);
          batchStmts.set(n, s);
        }
        return s;
      };
      const writeDocB = rawB.sql.transaction((d: number) => {
        insEntryB.run(r.entries[d]);
        for (const n of r.nodes[d]) insNodeB.run(n);
        const its = r.items[d];
        for (let i = 0; i < its.length; i += 64) {
          const chunk = its.slice(i, i + 64);
          batch(chunk.length).run(chunk.flat());
        }
      });
      t = process.hrtime.bigint();
      for (let d = 0; d < DOCS; d++) writeDocB.immediate(d);
      bestRawBatched = Math.min(bestRawBatched, seconds(t));
      rawB.close();
    }
    const appendRate = events / bestAppend;
    const rawRate = events / bestRaw;
    const rawBatchedRate = events / bestRawBatched;
    console.log(`append: ${appendRate.toFixed(0)} events/s (${(DOCS / bestAppend).toFixed(1)} documents/s)`);
    console.log(`raw insert, same rows, single-row statements: ${rawRate.toFixed(0)} rows/s`);
    console.log(`raw insert, same rows, 64-row statements: ${rawBatchedRate.toFixed(0)} rows/s`);
    console.log(`RATIO append / raw insert = ${(appendRate / rawRate).toFixed(2)} (target >= 0.5); vs batched raw ${(appendRate / rawBatchedRate).toFixed(2)}`);

    // Verify: the last round's ledger, all of it.
    const l = verifyTarget!;
    const db = l.store.sql;
    const blobs: Uint8Array[] = [
      ...(db.prepare('SELECT bytes FROM ledger_entries ORDER BY position').pluck().all() as Uint8Array[]),
      ...(db.prepare('SELECT bytes FROM ledger_items ORDER BY entry_position, item_index').pluck().all() as Uint8Array[]),
    ];
    const totalBytes = blobs.reduce((s, b) => s + b.length, 0);
    const readEntries = db.prepare('SELECT bytes FROM ledger_entries ORDER BY position').pluck();
    const readItems = db.prepare('SELECT bytes FROM ledger_items WHERE entry_position = ? ORDER BY item_index').pluck();
    let bestVerify = Infinity;
    let bestHash = Infinity;
    let bestReadHash = Infinity;
    let sink = 0;
    for (let round = 0; round < ROUNDS * 2; round++) {
      let t = process.hrtime.bigint();
      const report = verifyLedger(l.store);
      bestVerify = Math.min(bestVerify, seconds(t));
      if (!report.ok) throw new Error(`bench ledger does not verify: ${report.failure?.message}`);
      t = process.hrtime.bigint();
      for (const b of blobs) sink ^= nodeHash('sha256', b, 'buffer')[0];
      bestHash = Math.min(bestHash, seconds(t));
      // The least any full check must do: read every stored entry and item once and hash it.
      t = process.hrtime.bigint();
      for (const b of readEntries.all() as Uint8Array[]) sink ^= nodeHash('sha256', b, 'buffer')[0];
      for (let p = 0; p < l.size(); p++) for (const b of readItems.all(p) as Uint8Array[]) sink ^= nodeHash('sha256', b, 'buffer')[0];
      bestReadHash = Math.min(bestReadHash, seconds(t));
    }
    if (sink === 256) console.log('');
    const mb = totalBytes / 1e6;
    console.log(`verify: ${(mb / bestVerify).toFixed(1)} MB/s (${(events / bestVerify).toFixed(0)} events/s, ${l.size()} entries)`);
    console.log(`raw SHA-256 of the same ${blobs.length} byte strings from memory (${mb.toFixed(1)} MB): ${(mb / bestHash).toFixed(1)} MB/s`);
    console.log(`read each from SQLite + raw SHA-256: ${(mb / bestReadHash).toFixed(1)} MB/s`);
    console.log(`RATIO verify / raw SHA-256 = ${(bestHash / bestVerify).toFixed(2)} (target >= 0.5); verify / (read + SHA-256) = ${(bestReadHash / bestVerify).toFixed(2)}`);
    l.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
