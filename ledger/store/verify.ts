/**
 * `verifyLedger` over any ledger store (ledger/store/store.ts): the same checks, from the same
 * functions of ledger/verify.ts (checkEntry, checkLeftovers, checkKeyTables, checkMeta,
 * checkCheckpoints), fed by the store's async reads a page at a time: a page of entries, their
 * items and the Merkle nodes they complete in three queries. The report has the same shape and,
 * for the same ledger, the same content as verifyLedger's over SQLite.
 */
import { toHex } from '../bytes.ts';
import { rootAt, type SubtreeSource } from '../merkle.ts';
import { sha256 } from '../ledger.ts';
import {
  checkCheckpoints,
  checkEntry,
  checkKeyTables,
  checkLeftovers,
  checkMeta,
  Failure,
  VerifyState,
  type EntryRow as VerifyEntryRow,
  type ItemsRow,
  type KeyRow,
  type VerifyOptions,
  type VerifyReport,
} from '../verify.ts';
import type { ItemRow, LedgerReader } from './store.ts';

/** One entry's items in the layout checkEntry reads: count, "index:hash:path:bytes" lengths, the bytes concatenated. */
function itemsRow(rows: ItemRow[]): ItemsRow {
  if (rows.length === 0) return [0, null, null];
  const layout = rows.map((r) => `${r.itemIndex}:${r.itemHash.length}:${r.path.length}:${r.bytes.length}`).join(',');
  return [rows.length, layout, Buffer.concat(rows.flatMap((r) => [r.itemHash, r.path, r.bytes]))];
}

export async function verifyStore(store: LedgerReader, options: VerifyOptions = {}): Promise<VerifyReport> {
  const pageSize = options.pageSize ?? 512;
  const total = await store.count();
  const state = new VerifyState();
  let checkpoints = 0;
  try {
    for (;;) {
      const rows = await store.entries(state.position, pageSize);
      if (rows.length === 0) break;
      const from = rows[0].position;
      const to = rows[rows.length - 1].position + 1;
      const [items, nodes] = await Promise.all([store.itemsBetween(from, to), store.nodesCompletedBetween(from, to)]);
      const byEntry = new Map<number, ItemRow[]>();
      for (const item of items) {
        const list = byEntry.get(item.entryPosition);
        if (list) list.push(item);
        else byEntry.set(item.entryPosition, [item]);
      }
      const stored = new Map(nodes.map((n) => [`${n.level}/${n.index}`, n.hash]));
      for (const r of rows) {
        const row: VerifyEntryRow = [r.position, r.kind, r.signerParty, r.signerKeyId, r.bodyHash, r.prevHash, r.entryHash, r.leafHash, r.bytes];
        checkEntry(state, row, itemsRow(byEntry.get(r.position) ?? []), (level, index) => stored.get(`${level}/${index}`));
      }
      options.onProgress?.(state.position, total);
    }
    const size = state.position;
    const [item, node] = await Promise.all([store.firstItemBeyond(size), store.firstNodeBeyond(size)]);
    checkLeftovers(size, item && [item.entryPosition, item.itemIndex], node && [node.level, node.index]);

    const [parties, keys] = await Promise.all([store.parties(), store.keys()]);
    const partyAt = new Map(parties.map((p) => [p.party, p.registeredAt]));
    const keyRows = new Map<string, KeyRow>(
      keys.map((k) => [
        `${k.party}\u0000${k.keyId}`,
        { party: k.party, key_id: k.keyId, public_key: Buffer.from(k.publicKey), status: k.status, registered_at: k.registeredAt, rotated_at: k.rotatedAt, revoked_at: k.revokedAt },
      ]),
    );
    checkKeyTables(state.book, {
      party: (party) => partyAt.get(party),
      key: (party, keyId) => keyRows.get(`${party}\u0000${keyId}`),
      partyCount: parties.length,
      keyCount: keys.length,
    });
    const meta = await store.metaRows();
    if (size > 0) {
      checkMeta(
        meta.map((m) => ({ id: m.id, origin: m.origin, operator_key_id: m.operatorKeyId, operator_public_key: m.operatorPublicKey })),
        state.origin,
        state.operatorKey!,
      );
    }
    const checkpointRows = await store.checkpoints();
    const nodesFor = await rootNodes(store, [...checkpointRows.map((c) => c.size).filter((n) => Number.isSafeInteger(n) && n >= 0 && n <= size), size]);
    checkpoints = checkCheckpoints(
      checkpointRows.map((c) => ({ size: c.size, previous_size: c.previousSize, root: c.root, note: c.note, cosignatures: c.cosignatures })),
      meta.find((m) => m.id === 1)?.checkpointSize ?? 0,
      size,
      state.origin,
      state.operatorKey,
      nodesFor,
    );
    return { ok: true, size, root: toHex(rootAt(sha256, size, nodesFor)), items: state.items, checkpoints };
  } catch (err) {
    if (err instanceof Failure) return { ok: false, size: state.position, items: state.items, checkpoints, failure: err.failure };
    throw err;
  }
}

/** The stored nodes the roots at `sizes` are made of, fetched in one query. */
async function rootNodes(store: LedgerReader, sizes: number[]): Promise<SubtreeSource> {
  const wanted = new Map<string, { level: number; index: number }>();
  const zero = new Uint8Array(32);
  const recorder: SubtreeSource = {
    node: (level, index) => {
      wanted.set(`${level}/${index}`, { level, index });
      return zero;
    },
  };
  for (const size of sizes) rootAt(sha256, size, recorder);
  const list = [...wanted.values()];
  const hashes = await store.nodes(list);
  const found = new Map(list.map((w, i) => [`${w.level}/${w.index}`, hashes[i]]));
  return { node: (level, index) => found.get(`${level}/${index}`) as Uint8Array };
}
