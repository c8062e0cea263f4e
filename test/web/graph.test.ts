/** The recall graph layout (web/client/graph.ts). */
import { describe, expect, it } from 'vitest';
import { assignColumns, layoutGraph, NODE_HEIGHT, NODE_WIDTH, statusColour } from '../../web/client/graph.ts';
import type { GraphEdge, GraphNode } from '../../trace/queries/index.ts';

const node = (party: string, role: string | null): GraphNode => ({ party, name: party.toUpperCase(), role, holding: 0, dispensed: 0 });
const edge = (from: string, to: string, units: number, pending = false): GraphEdge => ({ from, to, units, pending });

// The demo's shape: a manufacturer, two distributors, pharmacies, a return and a pending shipment.
const nodes = [node('mah', 'manufacturer'), node('north', 'distributor'), node('south', 'distributor'), node('p1', 'pharmacy'), node('p2', 'pharmacy'), node('p3', 'pharmacy'), node('p4', 'pharmacy')];
const edges = [edge('mah', 'north', 12), edge('mah', 'south', 12), edge('north', 'p1', 6), edge('north', 'p2', 6), edge('south', 'p3', 6), edge('south', 'p4', 6, true), edge('p2', 'north', 2)];

function overlaps(a: { x: number; y: number; width: number; height: number }, b: typeof a): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

describe('assignColumns', () => {
  it('puts parties in columns by role: manufacturer, distributors, pharmacies', () => {
    const c = assignColumns(nodes, edges);
    expect([c.get('mah'), c.get('north'), c.get('south'), c.get('p1'), c.get('p4')]).toEqual([0, 1, 1, 2, 2]);
  });

  it('places parties of unknown role one column after those shipping to them, and survives cycles', () => {
    const c = assignColumns([node('a', null), node('b', 'other'), node('c', null)], [edge('a', 'b', 1), edge('b', 'c', 1), edge('c', 'b', 1)]);
    expect([c.get('a'), c.get('b'), c.get('c')]).toEqual([0, 1, 2]);
    const loop = assignColumns([node('x', null), node('y', null)], [edge('x', 'y', 1), edge('y', 'x', 1)]);
    expect(loop.size).toBe(2);
  });
});

describe('layoutGraph', () => {
  const layout = layoutGraph(nodes, edges, [{ party: 'p1', name: 'P1', role: 'pharmacy', byStatus: { recalled: 4, dispensed: 2, stolen: 0 }, total: 6 }]);

  it('places every party once, inside the picture, with no two boxes overlapping', () => {
    expect(layout.nodes.map((n) => n.party).sort()).toEqual(nodes.map((n) => n.party).sort());
    for (const n of layout.nodes) {
      expect(n.x).toBeGreaterThanOrEqual(0);
      expect(n.y).toBeGreaterThanOrEqual(0);
      expect(n.x + NODE_WIDTH).toBeLessThanOrEqual(layout.width);
      expect(n.y + NODE_HEIGHT).toBeLessThanOrEqual(layout.height);
    }
    for (const a of layout.nodes) for (const b of layout.nodes) if (a !== b) expect(overlaps(a, b), `${a.party}/${b.party}`).toBe(false);
  });

  it('routes every shipment with its unit count; a return is marked as going backwards', () => {
    expect(layout.edges.map((e) => `${e.from}>${e.to}:${e.units}`)).toEqual(edges.map((e) => `${e.from}>${e.to}:${e.units}`));
    expect(layout.edges.find((e) => e.from === 'p2')!.backwards).toBe(true);
    expect(layout.edges.filter((e) => e.backwards)).toHaveLength(1);
    expect(layout.edges.find((e) => e.to === 'p4')!.pending).toBe(true);
    for (const e of layout.edges) expect(e.path).toMatch(/^M[\d.]+ [\d.]+ C/);
  });

  it('orders a column by where its suppliers are, so shipments from one distributor sit together', () => {
    const row = (p: string) => layout.nodes.find((n) => n.party === p)!.row;
    expect(row('north')).toBeLessThan(row('south'));
    expect(Math.max(row('p1'), row('p2'))).toBeLessThan(Math.min(row('p3'), row('p4')));
  });

  it('carries each party\'s units by status, largest first, leaving out zero counts', () => {
    expect(layout.nodes.find((n) => n.party === 'p1')!.statuses).toEqual([
      { status: 'recalled', count: 4 },
      { status: 'dispensed', count: 2 },
    ]);
  });

  it('is the same for the same input', () => {
    expect(layoutGraph(nodes, edges)).toEqual(layoutGraph(nodes, edges));
  });

  it('gives every status a colour and unknown ones a neutral grey', () => {
    expect(statusColour('recalled')).not.toBe(statusColour('dispensed'));
    expect(statusColour('something-new')).toBe('#757575');
  });
});
