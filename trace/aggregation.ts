/**
 * Aggregation: units in cases, cases on pallets. Capture keeps each code's current container in
 * trace_units.parent and every stay in trace_containers (parent, child, from, to); an event on a
 * container reaches everything inside it at that moment (trace/projections.ts expands it). These
 * helpers read that state.
 */
import type { SqlConnection } from '../schemas/connection.ts';
import { isSscc } from './parties.ts';

/** True for logistic units (SSCC): containers that come into being when first packed. */
export function isContainerCode(code: string): boolean {
  return isSscc(code);
}

/** Everything inside `container` now, at any depth, outermost first. */
export function currentContents(db: SqlConnection, container: string): string[] {
  const children = db.prepare('SELECT code FROM trace_units WHERE parent = ? ORDER BY code').pluck();
  const out: string[] = [];
  const queue = [container];
  const seen = new Set(queue);
  while (queue.length > 0) {
    for (const child of children.all(queue.shift()!) as string[]) {
      if (seen.has(child)) continue;
      seen.add(child);
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

export interface ContainerStay {
  parent: string;
  child: string;
  fromPosition: number;
  fromItem: number;
  /** Null while the child is still inside. */
  toPosition: number | null;
  toItem: number | null;
}

/** The containers `code` has been in, oldest first (one level: the direct parents). */
export function containerStays(db: SqlConnection, code: string): ContainerStay[] {
  return db
    .prepare(
      'SELECT parent, child, from_position AS "fromPosition", from_item AS "fromItem", to_position AS "toPosition", to_item AS "toItem" FROM trace_containers WHERE child = ? ORDER BY from_position, from_item',
    )
    .all(code) as ContainerStay[];
}
