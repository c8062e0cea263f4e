/**
 * Forward and backward trace from any code, unit or container.
 *
 * - Backward: what the code was in (its containers over time, their containers while it was
 *   inside) and what it was made from (transformation inputs, and their origins in turn).
 * - Forward: what the code held (children over time, their children while they were inside) and
 *   what was made from it (transformation outputs, and what they held or were made into).
 *
 * Each link names the ledger place (position, item) of the event that made it and, for
 * containment, the place it ended (null while it lasts), so the answer can be proved.
 */
import { canonicalCode, comparePlace, connectionOf, statement, type QuerySource } from './db.ts';

export type TraceRelation = 'contained_in' | 'contains' | 'made_from' | 'made_into';

export interface TraceLink {
  /** The code this link starts from (the asked code, or one reached before). */
  from: string;
  relation: TraceRelation;
  /** The code reached. */
  code: string;
  /** Steps away from the asked code. */
  depth: number;
  /** Where the link began: the packing or transformation event. */
  since: { position: number; item: number };
  /** Where containment ended (the unpacking), null while it lasts or for transformations. */
  until: { position: number; item: number } | null;
}

export interface TraceResult {
  code: string;
  direction: 'forward' | 'backward';
  links: TraceLink[];
  /** Every code reached, without the asked one, in the order first reached. */
  codes: string[];
}

interface Interval {
  since: { position: number; item: number } | null;
  until: { position: number; item: number } | null;
}

type ContainerRow = { other: string; fp: number; fi: number; tp: number | null; ti: number | null };
type LineageRow = { other: string; position: number; item: number };

const SQL = {
  parents: 'SELECT parent AS other, from_position AS fp, from_item AS fi, to_position AS tp, to_item AS ti FROM trace_containers WHERE child = ? ORDER BY from_position, from_item',
  children: 'SELECT child AS other, from_position AS fp, from_item AS fi, to_position AS tp, to_item AS ti FROM trace_containers WHERE parent = ? ORDER BY from_position, from_item, child',
  inputs: 'SELECT input AS other, position, item FROM trace_lineage WHERE output = ? ORDER BY position, item, input',
  outputs: 'SELECT output AS other, position, item FROM trace_lineage WHERE input = ? ORDER BY position, item, output',
};

/** Deeper than this is a cycle in bad data. */
const MAX_DEPTH = 32;

function overlaps(a: Interval, since: { position: number; item: number }, until: { position: number; item: number } | null): boolean {
  const startsBeforeEnd = a.until === null || comparePlace(since, a.until) < 0;
  const endsAfterStart = a.since === null || until === null || comparePlace(until, a.since) > 0;
  return startsBeforeEnd && endsAfterStart;
}

function walk(source: QuerySource, code: string, direction: 'forward' | 'backward'): TraceResult {
  const db = connectionOf(source);
  const start = canonicalCode(code);
  const containment = statement(db, direction === 'backward' ? SQL.parents : SQL.children);
  const lineage = statement(db, direction === 'backward' ? SQL.inputs : SQL.outputs);
  const links: TraceLink[] = [];
  const reached: string[] = [];
  const seen = new Set<string>([start]);

  // Breadth first, so nearer links come first; a code reached twice is expanded once.
  let frontier: Array<{ code: string; window: Interval }> = [{ code: start, window: { since: null, until: null } }];
  for (let depth = 1; frontier.length > 0 && depth <= MAX_DEPTH; depth++) {
    const next: typeof frontier = [];
    for (const { code: from, window } of frontier) {
      for (const r of containment.all(from) as ContainerRow[]) {
        const since = { position: r.fp, item: r.fi };
        const until = r.tp === null ? null : { position: r.tp, item: r.ti ?? 0 };
        // A container's container counts only while the code was inside the first one.
        if (!overlaps(window, since, until)) continue;
        links.push({ from, relation: direction === 'backward' ? 'contained_in' : 'contains', code: r.other, depth, since, until });
        if (!seen.has(r.other)) {
          seen.add(r.other);
          reached.push(r.other);
          next.push({ code: r.other, window: { since, until } });
        }
      }
      for (const r of lineage.all(from) as LineageRow[]) {
        const at = { position: r.position, item: r.item };
        links.push({ from, relation: direction === 'backward' ? 'made_from' : 'made_into', code: r.other, depth, since: at, until: null });
        if (!seen.has(r.other)) {
          seen.add(r.other);
          reached.push(r.other);
          // Backward: the input's past up to the transformation; forward: the output's future from it.
          next.push({ code: r.other, window: direction === 'backward' ? { since: null, until: at } : { since: at, until: null } });
        }
      }
    }
    frontier = next;
  }
  return { code: start, direction, links, codes: reached };
}

/** What the code went into and what was made from it. */
export function traceForward(source: QuerySource, code: string): TraceResult {
  return walk(source, code, 'forward');
}

/** What the code was in and what it was made from. */
export function traceBackward(source: QuerySource, code: string): TraceResult {
  return walk(source, code, 'backward');
}
