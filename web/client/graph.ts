/**
 * Layout of a recall's distribution graph (parties as nodes, shipments as edges) for an SVG, by
 * small layered code: each party gets a column by its role in the chain (manufacturer, then
 * distributors and logistics, then pharmacies and hospitals), or for an unknown role by its
 * distance from a party nothing was shipped to; within a column parties are ordered by the mean
 * row of those that shipped to them, so most edges run left to right without crossing.
 * Pure functions (no DOM): tested in test/web/graph.test.ts.
 */
import type { GraphEdge, GraphNode, PartyCounts } from '../../trace/queries/index.ts';

export interface PlacedNode {
  party: string;
  label: string;
  role: string | null;
  column: number;
  row: number;
  x: number;
  y: number;
  width: number;
  height: number;
  /** Units by effective status this party holds last (from the report's byParty), largest first. */
  statuses: Array<{ status: string; count: number }>;
  holding: number;
  dispensed: number;
}

export interface PlacedEdge {
  from: string;
  to: string;
  units: number;
  pending: boolean;
  /** SVG path data from the source's right side to the target's left side (a curve for returns). */
  path: string;
  /** Where the unit count is written. */
  labelX: number;
  labelY: number;
  /** True when the shipment goes back up the chain (a return). */
  backwards: boolean;
}

export interface GraphLayout {
  width: number;
  height: number;
  nodes: PlacedNode[];
  edges: PlacedEdge[];
}

const ROLE_COLUMN: Readonly<Record<string, number>> = {
  manufacturer: 0,
  distributor: 1,
  wholesaler: 1,
  logistics: 1,
  pharmacy: 2,
  hospital: 2,
};

export const NODE_WIDTH = 180;
export const NODE_HEIGHT = 78;
const COLUMN_GAP = 110;
const ROW_GAP = 26;
const MARGIN = 16;

/** Column per party: the role's column when known, else one past the furthest party shipping to it. */
export function assignColumns(nodes: readonly GraphNode[], edges: readonly GraphEdge[]): Map<string, number> {
  const column = new Map<string, number>();
  for (const n of nodes) if (n.role && n.role in ROLE_COLUMN) column.set(n.party, ROLE_COLUMN[n.role]);
  // Unknown roles: breadth-first from the placed parties and from parties nothing arrives at.
  const incoming = new Map<string, string[]>();
  for (const e of edges) incoming.set(e.to, [...(incoming.get(e.to) ?? []), e.from]);
  const pending = nodes.filter((n) => !column.has(n.party)).map((n) => n.party);
  for (let pass = 0; pass < nodes.length && pending.length > 0; pass++) {
    for (let i = pending.length - 1; i >= 0; i--) {
      const party = pending[i];
      const sources = (incoming.get(party) ?? []).filter((s) => s !== party);
      const known = sources.filter((s) => column.has(s));
      if (sources.length === 0) column.set(party, 0);
      else if (known.length > 0) column.set(party, Math.max(...known.map((s) => column.get(s)!)) + 1);
      else continue;
      pending.splice(i, 1);
    }
  }
  for (const party of pending) column.set(party, 0); // only in cycles of unknown roles
  return column;
}

/** Places the nodes and routes the edges. Deterministic for the same input. */
export function layoutGraph(nodes: readonly GraphNode[], edges: readonly GraphEdge[], byParty: readonly PartyCounts[] = []): GraphLayout {
  const column = assignColumns(nodes, edges);
  const columns = [...new Set(column.values())].sort((a, b) => a - b);
  const dense = new Map(columns.map((c, i) => [c, i]));
  const counts = new Map(byParty.map((p) => [p.party, p]));

  // Rows: column by column, by the mean row of the parties shipping in (barycentre), then name.
  const row = new Map<string, number>();
  const byColumn: string[][] = columns.map(() => []);
  for (const n of nodes) byColumn[dense.get(column.get(n.party)!)!].push(n.party);
  for (const members of byColumn) {
    const key = (party: string): number => {
      const sources = edges.filter((e) => e.to === party && row.has(e.from)).map((e) => row.get(e.from)!);
      return sources.length > 0 ? sources.reduce((a, b) => a + b, 0) / sources.length : Number.POSITIVE_INFINITY;
    };
    const keyed = members.map((party) => ({ party, k: key(party) }));
    keyed.sort((a, b) => (a.k === b.k ? a.party.localeCompare(b.party) : a.k - b.k));
    keyed.forEach(({ party }, i) => row.set(party, i));
  }

  const tallest = Math.max(1, ...byColumn.map((m) => m.length));
  const height = MARGIN * 2 + tallest * NODE_HEIGHT + (tallest - 1) * ROW_GAP;
  const width = MARGIN * 2 + columns.length * NODE_WIDTH + Math.max(0, columns.length - 1) * COLUMN_GAP;

  const placed = new Map<string, PlacedNode>();
  for (const n of nodes) {
    const c = dense.get(column.get(n.party)!)!;
    const r = row.get(n.party)!;
    const members = byColumn[c].length;
    // Each column is centred vertically.
    const offset = ((tallest - members) * (NODE_HEIGHT + ROW_GAP)) / 2;
    const statuses = Object.entries(counts.get(n.party)?.byStatus ?? {})
      .filter(([, count]) => count > 0)
      .map(([status, count]) => ({ status, count }))
      .sort((a, b) => b.count - a.count || a.status.localeCompare(b.status));
    placed.set(n.party, {
      party: n.party,
      label: n.name ?? n.party,
      role: n.role,
      column: c,
      row: r,
      x: MARGIN + c * (NODE_WIDTH + COLUMN_GAP),
      y: MARGIN + offset + r * (NODE_HEIGHT + ROW_GAP),
      width: NODE_WIDTH,
      height: NODE_HEIGHT,
      statuses,
      holding: n.holding,
      dispensed: n.dispensed,
    });
  }

  const placedEdges: PlacedEdge[] = [];
  for (const e of edges) {
    const a = placed.get(e.from);
    const b = placed.get(e.to);
    if (!a || !b) continue;
    const backwards = b.column <= a.column;
    let path: string;
    let labelX: number;
    let labelY: number;
    if (!backwards) {
      const x1 = a.x + a.width;
      const y1 = a.y + a.height / 2;
      const x2 = b.x;
      const y2 = b.y + b.height / 2;
      const mid = (x1 + x2) / 2;
      path = `M${x1} ${y1} C${mid} ${y1} ${mid} ${y2} ${x2} ${y2}`;
      labelX = mid;
      labelY = (y1 + y2) / 2;
    } else {
      // A return: from the bottom of the source back to the bottom of the target, bowing below.
      const x1 = a.x + a.width / 2;
      const y1 = a.y + a.height;
      const x2 = b.x + b.width / 2;
      const y2 = b.y + b.height;
      const dip = Math.max(y1, y2) + ROW_GAP * 1.5;
      path = `M${x1} ${y1} C${x1} ${dip} ${x2} ${dip} ${x2} ${y2}`;
      labelX = (x1 + x2) / 2;
      labelY = dip - ROW_GAP * 0.4;
    }
    placedEdges.push({ from: e.from, to: e.to, units: e.units, pending: e.pending, path, labelX, labelY, backwards });
  }
  const needsRoom = placedEdges.some((e) => e.backwards);
  return { width, height: height + (needsRoom ? ROW_GAP * 1.5 : 0), nodes: [...placed.values()], edges: placedEdges };
}

/** Colours by status, with words always beside them (legend, labels): never colour alone. */
export const STATUS_COLOURS: Readonly<Record<string, string>> = {
  active: '#2e7d32',
  received: '#1b5e20',
  in_transit: '#f9a825',
  dispensed: '#1565c0',
  recalled: '#c62828',
  withdrawn: '#ad1457',
  expired: '#6d4c41',
  stolen: '#4a148c',
  destroyed: '#424242',
  locked: '#ef6c00',
  exported: '#00838f',
  sample: '#5d4037',
};

export function statusColour(status: string): string {
  return STATUS_COLOURS[status] ?? '#757575';
}
