/**
 * Proof bundles for one unit: its history (own events, its containers' events while it was inside,
 * its transformation inputs' events, its lot's recalls) becomes the ledger positions and item
 * indexes to prove, and the ledger turns those into an offline bundle (ledger/bundle.ts, format in
 * docs/ledger-formats.md; the unit bundle in docs/trace.md).
 *
 * Only the history's own items of each capture document go in: other events of the same
 * documents (other parties' units) stay out, proven absent-but-committed by the item paths.
 */
import type { Ledger } from '../ledger/ledger.ts';
import type { ProofBundle } from '../ledger/bundle.ts';
import { QueryError } from './queries/errors.ts';
import { unitHistory, type HistoryEntry, type UnitHistory } from './queries/history.ts';

export interface UnitProofSelection {
  /** The canonical code the bundle is for. */
  code: string;
  /** Ledger positions of the capture entries holding the history's events, and of the lot's recalls, ascending. */
  positions: number[];
  /** For each capture position, the item indexes of the history's events in it, ascending. */
  items: Record<number, number[]>;
  /** The history the selection came from (events in ledger order). */
  events: HistoryEntry[];
  recalls: UnitHistory['recalls'];
}

/**
 * Which entries and items prove a unit's history. A code with no recorded event (never
 * commissioned, or unknown) is TRACE_QUERY_UNKNOWN_CODE naming it; a malformed code
 * TRACE_QUERY_BAD_CODE (from unitHistory).
 */
export function selectUnitProof(ledger: Ledger, code: string): UnitProofSelection {
  const history = unitHistory(ledger, code);
  if (history.events.length === 0) {
    throw new QueryError('TRACE_QUERY_UNKNOWN_CODE', `${history.code}: no event recorded for this code (never commissioned here), so there is no history to prove`, {
      code: history.code,
    });
  }
  const byPosition = new Map<number, number[]>();
  for (const e of history.events) {
    const list = byPosition.get(e.position) ?? [];
    if (!list.includes(e.item)) list.push(e.item);
    byPosition.set(e.position, list);
  }
  const items: Record<number, number[]> = {};
  for (const [position, list] of byPosition) items[position] = list.sort((a, b) => a - b);
  const positions = [...new Set([...byPosition.keys(), ...history.recalls.map((r) => r.position)])].sort((a, b) => a - b);
  return { code: history.code, positions, items, events: history.events, recalls: history.recalls };
}

export interface UnitBundleResult {
  bundle: ProofBundle;
  selection: UnitProofSelection;
  /** Size of the checkpoint the bundle proves against. */
  checkpointSize: number;
  /** True when a new checkpoint was signed for this export. */
  checkpointCreated: boolean;
}

/**
 * The offline proof bundle of a unit's history. Checkpoint choice: a stored checkpoint that
 * covers every selected entry and already carries witness cosignatures is kept (a cosigned
 * checkpoint is worth more to a verifier than a fresher uncosigned one); otherwise, when the log
 * grew past the newest checkpoint and the operator key is here, a new one is signed first, as
 * `drugtrace ledger checkpoint` does. Without the operator key the newest stored checkpoint is
 * used if it covers the entries (LEDGER_NOT_FOUND from the ledger if none does).
 */
export function exportUnitBundle(ledger: Ledger, code: string): UnitBundleResult {
  const selection = selectUnitProof(ledger, code);
  const highest = selection.positions[selection.positions.length - 1];
  const latest = ledger.latestCheckpoint();
  const keepCosigned = latest !== undefined && latest.size > highest && latest.cosignatures.length > 0;
  let checkpointCreated = false;
  if (!keepCosigned && (!latest || latest.size < ledger.size())) {
    let canSign = true;
    try {
      ledger.requireSecret();
    } catch {
      canSign = false;
    }
    if (canSign) checkpointCreated = ledger.checkpoint().created;
  }
  const bundle = ledger.exportBundle(selection.positions, { items: selection.items });
  return { bundle, selection, checkpointSize: Number(bundle.checkpoint.split('\n')[1]), checkpointCreated };
}
