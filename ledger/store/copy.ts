/**
 * Copies a ledger from one store to another, row for row (e.g. SQLite to PostgreSQL): the entries'
 * bytes and every derived row are carried as they are, so the copy has the same entry hashes,
 * roots and checkpoints and verifies identically. The target must hold no ledger. Entries, items
 * and Merkle nodes go over a page per transaction; parties, keys, checkpoints and last of all
 * ledger_meta in the final one, so until the copy completes the target does not open as a ledger.
 */
import { LedgerError } from '../entry.ts';
import type { LedgerReader, LedgerStore } from './store.ts';

export interface CopyOptions {
  /** Entries per transaction (default 1000). */
  pageSize?: number;
  onProgress?: (copied: number, total: number) => void;
}

export interface CopyReport {
  entries: number;
  items: number;
  nodes: number;
  checkpoints: number;
}

export async function copyLedger(from: LedgerReader, to: LedgerStore, options: CopyOptions = {}): Promise<CopyReport> {
  const pageSize = options.pageSize ?? 1000;
  if ((await to.metaRows()).length > 0 || (await to.last())) throw new LedgerError('LEDGER_ALREADY_INITIALIZED', `the target ${to.kind} database already holds a ledger`);
  if ((await from.metaRows()).length === 0) throw new LedgerError('LEDGER_NOT_INITIALIZED', 'the source holds no ledger');
  const total = await from.count();
  const report: CopyReport = { entries: 0, items: 0, nodes: 0, checkpoints: 0 };
  let position = 0;
  for (;;) {
    const rows = await from.entries(position, pageSize);
    if (rows.length === 0) break;
    const first = rows[0].position;
    const end = rows[rows.length - 1].position + 1;
    const [items, nodes] = await Promise.all([from.itemsBetween(first, end), from.nodesCompletedBetween(first, end)]);
    await to.exclusive(async (w) => {
      for (const row of rows) await w.insertEntry(row);
      await w.insertItems(items);
      await w.insertNodes(nodes);
    });
    report.entries += rows.length;
    report.items += items.length;
    report.nodes += nodes.length;
    position = end;
    options.onProgress?.(report.entries, total);
  }
  const [parties, keys, checkpoints, meta] = await Promise.all([from.parties(), from.keys(), from.checkpoints(), from.metaRows()]);
  await to.exclusive(async (w) => {
    await w.insertParties(parties);
    await w.insertKeys(keys);
    for (const c of checkpoints) await w.insertCheckpoint(c);
    for (const m of meta) await w.insertMeta(m);
  });
  report.checkpoints = checkpoints.length;
  return report;
}
