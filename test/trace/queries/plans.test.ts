/**
 * Every statement the trace code runs against the per-code index (the view trace_unit_events over
 * trace_code_events and trace_codes) or the events (trace_events) finds its rows through an index (SQLite query plans): capture (trails of
 * new codes, a correction's replay of a code's index), unit history, the EPCIS query, the
 * oversight reads and detectors, and campaign progress. The index keeps no copy of its event's
 * facts, so each of these joins trace_events by (position, item); a join that scanned either
 * table would grow with the store. The statements are the ones the code prepares, recorded while
 * it runs on a small chain, each explained with the parameters it ran with.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type Database from 'better-sqlite3';
import { unitHistory, queryEvents } from '../../../trace/queries/index.ts';
import { codeEvents, codeEventsMany, entryCodes, rangeEvents } from '../../../trace/oversight/source.ts';
import { DETECTORS } from '../../../trace/oversight/index.ts';
import { campaignProgress } from '../../../trace/oversight/campaign-progress.ts';
import { signCampaign, startCampaign } from '../../../trace/oversight/campaigns.ts';
import { onPostgres } from '../../helpers/dialect.ts';
import { ACME_GTIN, sscc, type TraceWorld } from '../helpers/chain.ts';
import { acmeProduct, oversightWorld, unitCodes } from '../oversight/helpers.ts';

const TABLES = ['trace_events', 'trace_code_events', 'trace_codes'];
/** The view trace_unit_events is flattened into its tables; plans name them by the view's aliases. */
const VIEW_ALIASES: Array<[string, string]> = [
  ['code_events', 'trace_code_events'],
  ['codes', 'trace_codes'],
  ['vias', 'trace_codes'],
];

/** Runs of each statement (the first parameters it ran with), recorded through a wrapped connection. */
function recordStatements(world: TraceWorld): { seen: Map<string, unknown[]>; db: Database.Database } {
  const db = world.ledger.store.sql as Database.Database;
  const seen = new Map<string, unknown[]>();
  const wrapStatement = (sql: string, stmt: Database.Statement): Database.Statement => {
    const proxy: Database.Statement = new Proxy(stmt, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        if (prop === 'run' || prop === 'get' || prop === 'all' || prop === 'iterate') {
          return (...args: unknown[]) => {
            if (!seen.has(sql)) seen.set(sql, args);
            return value.apply(target, args);
          };
        }
        // Chained modes (raw, pluck, expand…) return the statement: keep returning the wrapper.
        return (...args: unknown[]) => {
          const out = value.apply(target, args);
          return out === target ? proxy : out;
        };
      },
    });
    return proxy;
  };
  const wrapped = new Proxy(db, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop === 'prepare') return (sql: string) => wrapStatement(sql, target.prepare(sql));
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  (world.ledger.store as { sql: unknown }).sql = wrapped;
  return { seen, db };
}

/** The plan lines that read trace_events or the per-code index's tables whole (SCAN, by name or alias), with the table. */
function scansOfEventTables(db: Database.Database, sql: string, args: unknown[]): Array<{ table: string; detail: string }> {
  const tables = new Map([...TABLES.map((t): [string, string] => [t, t]), ...VIEW_ALIASES]);
  for (const m of sql.matchAll(/\b(trace_events|trace_code_events|trace_codes)\s+(?:AS\s+)?([a-z_]\w*)/gi)) {
    if (!/^(JOIN|LEFT|INNER|CROSS|WHERE|ON|USING|ORDER|GROUP|SET|VALUES|LIMIT)$/i.test(m[2])) tables.set(m[2], m[1]);
  }
  const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as Array<{ detail: string }>;
  const out: Array<{ table: string; detail: string }> = [];
  for (const { detail } of plan) {
    const table = tables.get(/^SCAN (\w+)/.exec(detail)?.[1] ?? '');
    if (table) out.push({ table, detail });
  }
  return out;
}

/**
 * A detector run over a time range reads every event of the window: trace_events has no index by
 * time alone, so such a statement may scan trace_events (never the per-code index, which holds a
 * row per code of every event).
 */
const windowRead = (sql: string) => /\b(e\.)?event_time >= \? AND (e\.)?event_time < \?/.test(sql) && !/\bparty = \?/.test(sql);

let world: TraceWorld;
afterEach(() => world?.close());

describe.skipIf(onPostgres)('reads of the per-code index and the events (SQLite plans)', () => {
  it('the check itself reports a statement that reads the index whole', () => {
    world = oversightWorld({ file: false });
    const db = world.ledger.store.sql as Database.Database;
    expect(scansOfEventTables(db, "SELECT u.code FROM trace_unit_events u WHERE u.role = 'epc'", [])).toEqual([{ table: 'trace_code_events', detail: expect.stringMatching(/^SCAN code_events/) }]);
    // A join on a column trace_events has no index for: every event read for each index row.
    expect(scansOfEventTables(db, 'SELECT e.hash_id FROM trace_unit_events u JOIN trace_events e ON e.biz_location = u.via WHERE u.code = ?', ['x'])).toEqual([
      { table: 'trace_events', detail: expect.stringMatching(/^SCAN e/) },
    ]);
    expect(scansOfEventTables(db, 'SELECT u.code FROM trace_unit_events u WHERE u.code = ?', ['x'])).toEqual([]);
  });

  it('capture, corrections, history, the EPCIS query, oversight and campaign progress reach them through indexes (a time-window read may scan trace_events, never the per-code index)', () => {
    world = oversightWorld();
    acmeProduct(world, 'special_drug');
    const { seen, db: raw } = recordStatements(world);
    const e = world.events;
    const p = world.parties;
    const A = p.acme.gln;
    const D = p.dist.gln;
    const P = p.pharm1.gln;
    const units = unitCodes('P', 10);
    const pallet = sscc('0614141', '000000001');
    // Ten new codes at once (their trails read in one query), three alone (one by one).
    world.capture('acme', [e.commission(units, A, { lot: 'L1', expiry: '2030-01-31' }), e.pack(pallet, units, A), e.ship([pallet], A, D)]);
    const few = unitCodes('Q', 3);
    world.capture('acme', [e.commission(few, A, { lot: 'L1', expiry: '2030-01-31' })]);
    world.capture('dist', [e.receive([pallet], D), e.unpack(pallet, units, D)]);
    const wrong = e.ship(units.slice(0, 2), D, P);
    world.capture('dist', [wrong]);
    // The correction replays each code's stored index without the declared event.
    world.capture('dist', [e.declareErroneous(wrong)]);
    world.capture('dist', [e.ship(units.slice(0, 4), D, P)]);
    world.capture('pharm1', [e.receive(units.slice(0, 4), P)]);
    const dispensed = world.capture('pharm1', [e.dispense(units.slice(0, 2), P)]);

    const store = world.ledger.store;
    const db = store.sql;
    expect(unitHistory(store, units[0]).events.length).toBeGreaterThan(5);
    expect(queryEvents(store, { MATCH_epc: units[0] }).length).toBeGreaterThan(0);
    expect(codeEvents(db, units[0]).length).toBeGreaterThan(0);
    expect(codeEventsMany(db, units).get(units[1])!.length).toBeGreaterThan(0);
    expect(entryCodes(db, dispensed.position)).toHaveLength(2);
    expect(rangeEvents(db, '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z').length).toBeGreaterThan(0);
    for (const d of DETECTORS) {
      d.scan(db, d.parameters({}), { kind: 'entry', position: dispensed.position });
      d.scan(db, d.parameters({}), { kind: 'range', from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' });
    }
    const acme = p.acme;
    const { id } = startCampaign(world.ledger, signCampaign({ reason: 'sterility', class: 'I', lots: [{ gtin: ACME_GTIN, lot: 'L1' }] }, { party: acme.party, keyId: acme.keyId, secretKey: acme.secretKey }, e.tick()));
    expect(campaignProgress(world.ledger, id).total).toBe(13);

    const reads = [...seen].filter(([sql]) => /\btrace_(unit_)?events\b/.test(sql) && !/^\s*(INSERT|UPDATE|DELETE)\b/i.test(sql));
    // The statements this test is about were all run (it would pass vacuously otherwise).
    for (const marker of [
      /trace_unit_events ue JOIN trace_events e ON e\.position = ue\.position/, // history
      /"custodyTrail"[\s\S]*json_each/, // trails of many new codes
      /"custodyTrail"[\s\S]*WHERE u\.code = \?/, // trail of one new code
      /"hashId", e\.event_time AS "eventTime"[\s\S]*WHERE u\.code = \?/, // a code's index, replayed by a correction
      /\(e\.position, e\.item\) IN \(SELECT position, item FROM trace_unit_events/, // EPCIS MATCH_epc
      /json_each\(\?\) j\s+JOIN trace_unit_events ue/, // campaign progress
      /substr\(e\.event_time, 1, 10\)/, // volume detector
    ]) {
      expect(reads.some(([sql]) => marker.test(sql)), String(marker)).toBe(true);
    }
    const scans = reads
      .map(([sql, args]) => ({ sql, scans: scansOfEventTables(raw, sql, args).filter((s) => !(s.table === 'trace_events' && windowRead(sql))) }))
      .filter((r) => r.scans.length > 0);
    expect(scans).toEqual([]);
  });
});
