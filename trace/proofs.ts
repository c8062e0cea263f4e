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
import { fromUtf8 } from '../ledger/bytes.ts';
import { eventHashId } from './epcis/event-hash.ts';
import { QueryError } from './queries/errors.ts';
import { unitHistory, type HistoryEntry, type UnitHistory } from './queries/history.ts';

export interface UnitProofSelection {
  /** The canonical code the bundle is for. */
  code: string;
  /** Ledger positions of the capture entries holding the history's events, and of the lot's recalls, ascending. */
  positions: number[];
  /** For each capture position, the item indexes of the history's events (and of the declarations correcting them) in it, ascending. */
  items: Record<number, number[]>;
  /** Error declarations of the history's erroneous events: where each is, and the Event Hash ID it declares. */
  declarations: Array<{ position: number; item: number; declares: string }>;
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
  const include = (position: number, item: number) => {
    const list = byPosition.get(position) ?? [];
    if (!list.includes(item)) list.push(item);
    byPosition.set(position, list);
  };
  for (const e of history.events) include(e.position, e.item);
  // An erroneous event is proven with its declaration, so the bundle does not show it as standing.
  const declarations = findDeclarations(ledger, history.events);
  for (const d of declarations) include(d.position, d.item);
  const items: Record<number, number[]> = {};
  for (const [position, list] of byPosition) items[position] = list.sort((a, b) => a - b);
  const positions = [...new Set([...byPosition.keys(), ...history.recalls.map((r) => r.position)])].sort((a, b) => a - b);
  return { code: history.code, positions, items, declarations, events: history.events, recalls: history.recalls };
}

/**
 * The declaring items of erroneous events: EPCIS writes a declaration as a copy of the erroneous
 * event plus errorDeclaration, and the CBV hash leaves errorDeclaration out, so the declaring item
 * in the entry at `erroneous.position` is the one with the erroneous event's hash.
 */
function findDeclarations(ledger: Ledger, events: HistoryEntry[]): UnitProofSelection['declarations'] {
  const out: UnitProofSelection['declarations'] = [];
  const hashesAt = new Map<number, Array<string | null>>();
  for (const e of events) {
    if (!e.erroneous) continue;
    const position = e.erroneous.position;
    let hashes = hashesAt.get(position);
    if (!hashes) {
      const context = ledger.get(position).entry.body.payload.context;
      hashes = ledger.items(position).map((it) => {
        try {
          const event = JSON.parse(fromUtf8(it.bytes)) as Record<string, unknown>;
          return event.errorDeclaration === undefined ? null : eventHashId(event, { documentContext: context });
        } catch {
          return null;
        }
      });
      hashesAt.set(position, hashes);
    }
    hashes.forEach((hash, item) => {
      if (hash === e.hashId) out.push({ position, item, declares: e.hashId });
    });
  }
  return out;
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
