/**
 * Several processes appending to one PostgreSQL ledger at once (each a separate Node process with
 * its own connection pool): positions are dense and unique, every receipt names the entry stored
 * at its position, the chain and tree verify, and the checkpoints they signed form one consistent
 * chain.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { ed25519 } from '../../../ledger/crypto-node.ts';
import { toHex } from '../../../ledger/bytes.ts';
import type { Receipt } from '../../../ledger/entry.ts';
import { PgLedgerStore } from '../../../ledger/store/postgres.ts';
import { StoredLedger } from '../../../ledger/store/service.ts';
import { verifyStore } from '../../../ledger/store/verify.ts';
import { freshDatabase } from '../../helpers/postgres.ts';
import { runWriter } from './run-writer.ts';

const CHILD = fileURLToPath(new URL('./writer-child.ts', import.meta.url));
const WRITERS = 4;
const DOCS_PER_WRITER = 24;

let database: Awaited<ReturnType<typeof freshDatabase>>;
let store: PgLedgerStore;

beforeEach(async () => {
  database = await freshDatabase();
  store = await PgLedgerStore.connect(database.url);
});

afterEach(async () => {
  await store.close();
  await database.drop();
});

describe('PostgreSQL ledger with concurrent writer processes', () => {
  it('sequences every append with no gap, no duplicate position, no fork and one chain of consistent checkpoints', async () => {
    const operator = ed25519.generateSecretKey();
    const ledger = await StoredLedger.init(store, { origin: 'drugtrace.example/concurrent', secret: operator });
    const parties = [];
    for (let w = 0; w < WRITERS; w++) {
      const secret = ed25519.generateSecretKey();
      await ledger.registerParty(`writer-${w}`);
      const { keyId } = await ledger.registerKey(`writer-${w}`, ed25519.publicKey(secret));
      parties.push({ party: `writer-${w}`, keyId, secret: Buffer.from(secret).toString('hex'), firstDoc: w * 1000 });
    }
    const before = await ledger.size();

    const outputs = await Promise.all(
      parties.map((p) => runWriter(CHILD, [database.url, Buffer.from(operator).toString('hex'), p.party, JSON.stringify(p), String(DOCS_PER_WRITER)])),
    );
    const lines = outputs.flat().map((l) => JSON.parse(l) as { receipt?: Receipt; checkpoint?: { size: number; created: boolean } });
    const receipts = lines.flatMap((l) => (l.receipt ? [l.receipt] : []));
    expect(receipts).toHaveLength(WRITERS * DOCS_PER_WRITER);
    expect(receipts.every((r) => !r.duplicate)).toBe(true);

    // Dense and unique: exactly the positions after the registrations, each once.
    const positions = receipts.map((r) => r.position).sort((a, b) => a - b);
    expect(positions).toEqual(Array.from({ length: receipts.length }, (_, i) => before + i));
    expect(await ledger.size()).toBe(before + receipts.length);
    for (const r of receipts) expect(toHex((await ledger.get(r.position)).leafHash)).toBe(r.leafHash);

    // The writers interleaved (otherwise this tested nothing concurrent).
    const byPosition = receipts.map((r, i) => ({ r, writer: Math.floor(i / DOCS_PER_WRITER) })).sort((a, b) => a.r.position - b.r.position);
    const switches = byPosition.filter((x, i) => i > 0 && x.writer !== byPosition[i - 1].writer).length;
    expect(switches).toBeGreaterThan(WRITERS);

    // Every checkpoint a writer created is stored once, and the stored ones chain and verify.
    const created = lines.flatMap((l) => (l.checkpoint?.created ? [l.checkpoint.size] : []));
    const stored = (await store.checkpoints()).map((c) => c.size);
    expect([...created].sort((a, b) => a - b)).toEqual(stored);
    const report = await verifyStore(store);
    expect(report).toMatchObject({ ok: true, size: before + receipts.length, checkpoints: stored.length });
  });
});
