/**
 * The recall report page: a lot's units counted by status, the distribution graph drawn as SVG
 * (web/client/graph.ts), the units not accounted for, and a CSV export of every unit.
 * Needs a manufacturer (own products) or regulator token.
 */
import type { RecallReport } from '../../trace/queries/index.ts';
import { byId, errorBox, formatTime, getJson, getToken, h, setupTokenForm, show, words } from './common.ts';
import { layoutGraph, statusColour } from './graph.ts';
import { recallCsv, recallCsvName } from './csv.ts';

const SVG = 'http://www.w3.org/2000/svg';
const form = byId<HTMLFormElement>('recall-form');
const gtinInput = byId<HTMLInputElement>('recall-gtin');
const lotInput = byId<HTMLInputElement>('recall-lot');
const out = byId('report');

let csvUrl: string | null = null;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, ...children: Array<Node | string>): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c);
  return el;
}

function countsTable(report: RecallReport): HTMLElement {
  const rows = Object.entries(report.byStatus).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return h(
    'table',
    { class: 'counts', id: 'status-counts' },
    h('caption', {}, `Units by status (${report.total} in all)`),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Units'))),
    h(
      'tbody',
      {},
      ...rows.map(([status, n]) =>
        h('tr', { 'data-status': status }, h('th', { scope: 'row' }, h('span', { class: 'swatch', 'data-colour': statusColour(status) }), words(status)), h('td', {}, String(n))),
      ),
      h('tr', { 'data-status': 'recall-flag' }, h('th', { scope: 'row' }, 'recall flag set'), h('td', {}, String(report.recalledUnits))),
    ),
  );
}

/** The distribution graph as an SVG with a text alternative (title, desc, and the tables below). */
function graphFigure(report: RecallReport): HTMLElement {
  const layout = layoutGraph(report.graph.nodes, report.graph.edges, report.byParty);
  const picture = svg('svg', {
    viewBox: `0 0 ${layout.width} ${layout.height}`,
    width: layout.width,
    height: layout.height,
    role: 'img',
    'aria-labelledby': 'graph-title graph-desc',
    class: 'graph',
    id: 'distribution-graph',
  });
  picture.append(
    svg('title', { id: 'graph-title' }, `Distribution of lot ${report.lot}`),
    svg(
      'desc',
      { id: 'graph-desc' },
      `${layout.nodes.length} parties, ${layout.edges.length} shipments: ` +
        layout.edges.map((e) => `${e.from} to ${e.to}, ${e.units} unit${e.units === 1 ? '' : 's'}${e.pending ? ' (not received)' : ''}`).join('; '),
    ),
    svg('defs', {}, svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 12, markerHeight: 12, markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse' }, svg('path', { d: 'M0 0 L10 5 L0 10 z', fill: '#455a64' }))),
  );
  for (const e of layout.edges) {
    const g = svg('g', { class: `edge${e.pending ? ' pending' : ''}${e.backwards ? ' return' : ''}`, 'data-from': e.from, 'data-to': e.to, 'data-units': e.units });
    g.append(
      svg('path', { d: e.path, fill: 'none', stroke: e.pending ? '#f9a825' : '#455a64', 'stroke-width': Math.min(2 + e.units / 3, 8), 'stroke-dasharray': e.pending ? '8 5' : 'none', 'marker-end': 'url(#arrow)' }),
      svg('rect', { x: e.labelX - 22, y: e.labelY - 11, width: 44, height: 20, rx: 4, fill: '#ffffff', stroke: '#90a4ae' }),
      svg('text', { x: e.labelX, y: e.labelY + 4, 'text-anchor': 'middle', class: 'edge-label' }, `${e.units}${e.pending ? '…' : ''}`),
    );
    picture.append(g);
  }
  for (const n of layout.nodes) {
    const g = svg('g', { class: 'node', 'data-party': n.party, transform: `translate(${n.x} ${n.y})` });
    g.append(
      svg('title', {}, `${n.label} (${n.party}): holds ${n.holding}, dispensed ${n.dispensed}`),
      svg('rect', { width: n.width, height: n.height, rx: 8, fill: '#ffffff', stroke: '#263238', 'stroke-width': 1.5 }),
      svg('text', { x: 8, y: 18, class: 'node-label' }, n.label.length > 24 ? `${n.label.slice(0, 23)}…` : n.label),
      svg('text', { x: 8, y: 34, class: 'node-sub' }, `${n.role ?? 'party'} (${n.party})`),
      svg('text', { x: 8, y: 50, class: 'node-sub' }, `holds ${n.holding} · dispensed ${n.dispensed}`),
    );
    // A bar of the units this party holds last, split by status.
    const total = n.statuses.reduce((s, x) => s + x.count, 0);
    let x = 8;
    const barWidth = n.width - 16;
    for (const s of n.statuses) {
      const w = total > 0 ? (barWidth * s.count) / total : 0;
      g.append(svg('rect', { x, y: 58, width: Math.max(w, 1), height: 12, fill: statusColour(s.status), 'data-status': s.status }, svg('title', {}, `${words(s.status)}: ${s.count}`)));
      x += w;
    }
    picture.append(g);
  }
  const statuses = Object.keys(report.byStatus).sort();
  const legend = h(
    'ul',
    { class: 'legend', 'aria-label': 'Colours' },
    ...statuses.map((s) => h('li', {}, h('span', { class: 'swatch', 'data-colour': statusColour(s) }), words(s))),
    h('li', {}, h('span', { class: 'swatch line-dashed' }), 'shipped, not received'),
  );
  return h('figure', { class: 'graph-figure' }, h('div', { class: 'graph-scroll', tabindex: '0', 'aria-label': 'Distribution graph (scrolls sideways)' }, picture), h('figcaption', {}, `Parties and shipments of lot ${report.lot}; the bar in each party shows the status of the units it holds last.`), legend);
}

function unaccountedTable(report: RecallReport): HTMLElement {
  if (report.unaccounted.length === 0) return h('p', { id: 'unaccounted-none' }, 'Every unit is accounted for.');
  return h(
    'table',
    { id: 'unaccounted' },
    h('caption', {}, `Units not accounted for (${report.unaccounted.length})`),
    h('thead', {}, h('tr', {}, ...['Code', 'Why', 'Last held by', 'Shipped to', 'Last event'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, ...report.unaccounted.map((u) => h('tr', {}, h('td', { class: 'code' }, u.code), h('td', {}, words(u.reason)), h('td', {}, u.custodian ?? '—'), h('td', {}, u.pendingTo ?? '—'), h('td', {}, formatTime(u.lastEventAt))))),
  );
}

function partiesTable(report: RecallReport): HTMLElement {
  return h(
    'table',
    { id: 'by-party' },
    h('caption', {}, 'Where the units are, by party'),
    h('thead', {}, h('tr', {}, ...['Party', 'Role', 'Units', 'By status'].map((t) => h('th', { scope: 'col' }, t)))),
    h(
      'tbody',
      {},
      ...report.byParty.map((p) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, p.name ? `${p.name} (${p.party})` : p.party),
          h('td', {}, p.role ?? '—'),
          h('td', {}, String(p.total)),
          h('td', {}, Object.entries(p.byStatus).map(([s, n]) => `${words(s)} ${n}`).join(', ')),
        ),
      ),
    ),
  );
}

function render(report: RecallReport): void {
  if (csvUrl) URL.revokeObjectURL(csvUrl);
  csvUrl = URL.createObjectURL(new Blob([recallCsv(report)], { type: 'text/csv;charset=utf-8' }));
  const recalls = report.recalls.map((r) => h('li', {}, `${r.kind} by ${r.party} (ledger #${r.position}): ${r.reason}`));
  show(
    out,
    h('h2', { id: 'report-heading', tabindex: '-1' }, `Lot ${report.lot} of ${report.gtin}`),
    h('p', {}, `Expiry ${report.expiry ?? '—'} · ${report.total} units · report as of ${formatTime(report.at)}`),
    recalls.length > 0 ? h('ul', { class: 'recalls' }, ...recalls) : h('p', {}, 'This lot has not been recalled.'),
    h('p', {}, h('a', { href: csvUrl, download: recallCsvName(report), id: 'csv-link', class: 'button' }, `Download every unit as CSV (${report.units.length} rows)`)),
    countsTable(report),
    h('h3', {}, 'Distribution'),
    graphFigure(report),
    h('h3', {}, 'Not accounted for'),
    unaccountedTable(report),
    partiesTable(report),
  );
  // Swatch colours come from data attributes: the page's CSP allows no inline style.
  out.querySelectorAll<HTMLElement>('[data-colour]').forEach((el) => el.style.setProperty('background-color', el.dataset.colour!));
  byId('report-heading').focus();
}

async function load(): Promise<void> {
  const lot = lotInput.value.trim();
  const gtin = gtinInput.value.trim();
  if (!lot) return;
  if (!getToken()) {
    show(out, errorBox(new Error('the recall report needs a manufacturer or regulator token: paste one above')));
    return;
  }
  const query = new URLSearchParams({ lot, ...(gtin ? { gtin } : {}) });
  history.replaceState(null, '', `?${query}`);
  show(out, h('p', { class: 'busy' }, 'Loading…'));
  try {
    render(await getJson<RecallReport>(`/v1/recalls/report?${query}`));
  } catch (err) {
    show(out, errorBox(err));
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void load();
});

const params = new URLSearchParams(location.search);
gtinInput.value = params.get('gtin') ?? '';
lotInput.value = params.get('lot') ?? '';
setupTokenForm(() => void load());
if (lotInput.value) void load();
