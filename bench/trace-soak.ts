/**
 * Trace ingest soak: captures --events EPCIS events (default 10,000,000) through the real capture
 * path (captureDocument: schema validation, event hashes, rules, container expansion, signed
 * ledger append, projections; one transaction per document) in documents of about --doc-events
 * events (default 1,000), and samples the process's RSS after every document.
 *
 * The workload is the standard three-tier chain of bench/trace.bench.ts, generated round by round
 * so memory does not grow with the count: each round is --round-pallets pallets of 1,000 units
 * (10 cases of 100, SSCCs; the manufacturer's document of a round of 10 pallets holds 140 events
 * naming 10,000 units) — the manufacturer commissions, packs cases and pallets and ships them
 * to two distributors, which receive, break the pallets down and ship the cases to five
 * pharmacies, which receive, unpack and dispense half the units one event each. Each party's
 * events of a round go in documents of at most --doc-events events, signed by the party (signing
 * is timed apart from capture: it is the client's work).
 *
 * Progress goes to --log (default data/trace-soak.log) as one JSON line every --every seconds
 * (default 10) and at the end; SIGINT/SIGTERM stop it after the current document with a final
 * line. The database (default data/trace-soak.db) is kept for bench/trace-history.ts.
 *
 * `--resume` continues the database at --db instead of starting a new one, so a soak can run in
 * several sittings (the machines here are lent for a few hours at a time): the database is the
 * only state. The next round's lot number, the SSCC serial and the clock are read back from the
 * projections, each party gets a fresh signing key registered (the keys of the run before are
 * not kept anywhere), and --events counts events in the whole database, not this sitting. A
 * sitting stopped mid-round (signal, kill, power) leaves that round's units where its last
 * committed document left them — every document is one transaction — and the next sitting starts
 * a new round.
 *
 * Usage: npx tsx bench/trace-soak.ts [--events 10000000] [--doc-events 1000] [--round-pallets 10]
 *        [--max-db-gib 30] [--resume]
 *        [--db data/trace-soak.db] [--log data/trace-soak.log] [--every 10]
 */
import { appendFileSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { Ledger } from '../ledger/ledger.ts';
import { captureDocument, signCapture } from '../trace/capture.ts';
import { CASES_PER_PALLET, DL, GTIN, partySpecs, registerParties, UNITS_PER_CASE, withCheck, type Party } from './fixtures/trace-workload.ts';
import { ed25519 } from '../ledger/crypto-node.ts';
import { numberArg, stringArg } from './fixtures/args.ts';

const TARGET_EVENTS = numberArg('events', 10_000_000);
const DOC_EVENTS = numberArg('doc-events', 1000);
const ROUND_PALLETS = numberArg('round-pallets', 10);
/** Stops cleanly when the database (with its WAL) grows past this many GiB: the disk is shared. */
const MAX_DB_GIB = numberArg('max-db-gib', 30);
const DB = stringArg('db', 'data/trace-soak.db');
const LOG = stringArg('log', 'data/trace-soak.log');
const EVERY_MS = numberArg('every', 10) * 1000;
const DISPENSE = 0.5;

// The party ids of bench/fixtures/trace-workload.ts.
const DISTRIBUTORS = ['dist-1', 'dist-2'];
const PHARMACIES = ['pharmacy-1', 'pharmacy-2', 'pharmacy-3', 'pharmacy-4', 'pharmacy-5'];

// Documents here are grouped per party over a whole round (not per pallet as the fixture's
// Workload does), so only the constants and the parties come from the fixture.
type Event = Record<string, unknown>;

const RESUME = process.argv.includes('--resume');
if (RESUME && !existsSync(DB)) throw new Error(`--resume: ${DB} does not exist (run once without --resume to start a soak)`);
// A new soak replaces the old one whole, its operator key file too (Ledger.init refuses to overwrite one).
if (!RESUME) for (const f of [DB, `${DB}-wal`, `${DB}-shm`, `${DB}.operator-key`]) if (existsSync(f)) rmSync(f);
mkdirSync(dirname(DB), { recursive: true });
mkdirSync(dirname(LOG), { recursive: true });

const ledger = RESUME ? Ledger.open(DB) : Ledger.init(DB, { origin: 'bench.example/soak' });
const parties = RESUME ? newKeys(ledger) : registerParties(ledger);

/** Where an earlier sitting stopped, read back from the database (all zero for a new soak). */
const resumed = RESUME ? stateOf(ledger) : { round: 0, ssccSerial: 0, clock: Date.parse('2026-03-01T00:00:00.000Z'), events: 0, documents: 0, units: 0 };
let clock = resumed.clock;
let ssccSerial = resumed.ssccSerial;
const tick = () => new Date((clock += 1000)).toISOString();
const loc = (party: string) => `${DL}/414/${parties.get(party)!.gln}`;
const sscc = () => `${DL}/00/${withCheck('0' + '9521234' + String(++ssccSerial).padStart(9, '0'))}`;
const event = (party: string, fields: Event): Event => {
  const where = loc(party);
  return { eventTime: tick(), eventTimeZoneOffset: '+00:00', readPoint: { id: where }, bizLocation: { id: where }, ...fields };
};
const ship = (from: string, to: string, epcs: string[]) =>
  event(from, {
    type: 'ObjectEvent',
    epcList: epcs,
    action: 'OBSERVE',
    bizStep: 'shipping',
    disposition: 'in_transit',
    destinationList: [
      { type: 'owning_party', destination: `${DL}/417/${parties.get(to)!.gln}` },
      { type: 'location', destination: loc(to) },
    ],
  });
const aggregation = (party: string, action: 'ADD' | 'DELETE', parent: string, children: string[]) =>
  event(party, { type: 'AggregationEvent', parentID: parent, childEPCs: children, action, bizStep: action === 'ADD' ? 'packing' : 'unpacking' });
const receive = (party: string, epcs: string[]) => event(party, { type: 'ObjectEvent', epcList: epcs, action: 'OBSERVE', bizStep: 'receiving', disposition: 'in_progress' });

/** One round's documents, in an order the rules accept: manufacturer, then distributors, then pharmacies. */
function round(r: number): Array<{ party: string; events: Event[] }> {
  const lot = `S${r}`;
  const byParty = new Map<string, Event[]>([['mah', []], ...DISTRIBUTORS.map((d) => [d, []] as [string, Event[]]), ...PHARMACIES.map((p) => [p, []] as [string, Event[]])]);
  const dispensing = new Map<string, Event[]>(PHARMACIES.map((p) => [p, []]));
  const pallets: Array<{ units: string[]; cases: string[]; pallet: string; dist: string; pharmacy: string }> = [];
  for (let p = 0; p < ROUND_PALLETS; p++) {
    const base = p * UNITS_PER_CASE * CASES_PER_PALLET;
    const units = Array.from({ length: UNITS_PER_CASE * CASES_PER_PALLET }, (_, i) => `${DL}/01/${GTIN}/21/${lot}-${base + i}`);
    pallets.push({ units, cases: Array.from({ length: CASES_PER_PALLET }, () => sscc()), pallet: sscc(), dist: DISTRIBUTORS[p % 2], pharmacy: PHARMACIES[p % 5] });
  }
  const caseUnits = (units: string[], i: number) => units.slice(i * UNITS_PER_CASE, (i + 1) * UNITS_PER_CASE);
  for (const { units, cases, pallet, dist } of pallets) {
    byParty.get('mah')!.push(
      event('mah', {
        type: 'ObjectEvent',
        epcList: units,
        action: 'ADD',
        bizStep: 'commissioning',
        disposition: 'active',
        ilmd: { 'cbvmda:lotNumber': lot, 'cbvmda:itemExpirationDate': '2028-12-31' },
      }),
      ...cases.map((c, i) => aggregation('mah', 'ADD', c, caseUnits(units, i))),
      aggregation('mah', 'ADD', pallet, cases),
      ship('mah', dist, [pallet]),
    );
  }
  for (const { cases, pallet, dist, pharmacy } of pallets) byParty.get(dist)!.push(receive(dist, [pallet]), aggregation(dist, 'DELETE', pallet, cases), ship(dist, pharmacy, cases));
  for (const { units, cases, pharmacy } of pallets) {
    byParty.get(pharmacy)!.push(receive(pharmacy, cases), ...cases.map((c, i) => aggregation(pharmacy, 'DELETE', c, caseUnits(units, i))));
    for (const u of units.slice(0, Math.round(units.length * DISPENSE))) {
      dispensing.get(pharmacy)!.push(event(pharmacy, { type: 'ObjectEvent', epcList: [u], action: 'OBSERVE', bizStep: 'dispensing', disposition: 'dispensed' }));
    }
  }
  for (const p of PHARMACIES) byParty.get(p)!.push(...dispensing.get(p)!);
  const docs: Array<{ party: string; events: Event[] }> = [];
  for (const [party, events] of byParty) for (let i = 0; i < events.length; i += DOC_EVENTS) docs.push({ party, events: events.slice(i, i + DOC_EVENTS) });
  return docs;
}

/** A fresh signing key for every party of an existing soak database. */
function newKeys(ledger: Ledger): Map<string, Party> {
  const out = new Map<string, Party>();
  for (const spec of partySpecs()) {
    if (ledger.partyRegisteredAt(spec.id) === undefined) throw new Error(`--resume: ${DB} has no party ${spec.id}; is it a soak database?`);
    const secretKey = ed25519.generateSecretKey();
    out.set(spec.id, { ...spec, secretKey, keyId: ledger.registerKey(spec.id, ed25519.publicKey(secretKey)).keyId });
  }
  return out;
}

/**
 * The generator's counters after the last committed document: the next lot number (lots are
 * S0, S1, …), the highest SSCC serial, the latest event time, and the totals for the log.
 */
function stateOf(ledger: Ledger) {
  const db = ledger.store.sql;
  const one = <T>(sql: string) => db.prepare(sql).pluck().get() as T;
  const lastLot = one<number | null>("SELECT max(CAST(substr(lot, 2) AS INTEGER)) FROM trace_lots WHERE lot LIKE 'S%'");
  // SSCCs are fixed width (/00/ + 18 digits), so the greatest code holds the greatest serial: digits 9–17 of the 18.
  const lastSscc = one<string | null>(`SELECT max(code) FROM trace_units WHERE kind = 'container' AND code LIKE '${DL}/00/%'`);
  const lastTime = one<string | null>('SELECT max(event_time) FROM trace_events');
  return {
    round: lastLot === null ? 0 : lastLot + 1,
    ssccSerial: lastSscc === null ? 0 : Number(lastSscc.slice(-10, -1)),
    clock: lastTime === null ? Date.parse('2026-03-01T00:00:00.000Z') : Date.parse(lastTime),
    events: one<number>('SELECT count(*) FROM trace_events'),
    documents: one<number>("SELECT count(*) FROM ledger_entries WHERE kind = 'capture'"),
    units: one<number>("SELECT count(*) FROM trace_units WHERE kind = 'unit'"),
  };
}

const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
const started = Date.now();
let events = resumed.events;
let documents = resumed.documents;
let units = resumed.units;
let captureMs = 0;
let signMs = 0;
let rssMax = 0;
let lastLog = started;
let lastEvents = events;
let stop = false;
let diskLimit = false;
process.on('SIGINT', () => (stop = true));
process.on('SIGTERM', () => (stop = true));

function dbBytes(): number {
  return [DB, `${DB}-wal`].reduce((n, f) => n + (existsSync(f) ? statSync(f).size : 0), 0);
}

function log(kind: 'progress' | 'done' | 'stopped' | 'disk-limit'): number {
  const now = Date.now();
  const mem = process.memoryUsage();
  const line = {
    kind,
    at: new Date(now).toISOString(),
    elapsedS: Math.round((now - started) / 1000),
    events,
    documents,
    units,
    rssMiB: mib(mem.rss),
    rssMaxMiB: mib(rssMax),
    heapUsedMiB: mib(mem.heapUsed),
    externalMiB: mib(mem.external),
    // Rates are of this sitting: events it captured over its own time.
    captureEventsPerS: Math.round((events - resumed.events) / (captureMs / 1000 || 1)),
    wallEventsPerS: Math.round((events - resumed.events) / ((now - started) / 1000 || 1)),
    intervalEventsPerS: Math.round((events - lastEvents) / ((now - lastLog) / 1000 || 1)),
    signS: Math.round(signMs / 1000),
    captureS: Math.round(captureMs / 1000),
    dbMiB: mib(dbBytes()),
  };
  lastLog = now;
  lastEvents = events;
  appendFileSync(LOG, JSON.stringify(line) + '\n');
  return line.dbMiB;
}

appendFileSync(
  LOG,
  JSON.stringify({ kind: 'start', at: new Date(started).toISOString(), targetEvents: TARGET_EVENTS, docEvents: DOC_EVENTS, roundPallets: ROUND_PALLETS, db: DB, node: process.version, pid: process.pid, ...(RESUME ? { resumed } : {}) }) + '\n',
);
outer: for (let r = resumed.round; events < TARGET_EVENTS; r++) {
  for (const { party, events: list } of round(r)) {
    if (stop) break outer;
    const p = parties.get(party)!;
    const t0 = performance.now();
    const document = { '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'], type: 'EPCISDocument', schemaVersion: '2.0', creationDate: tick(), epcisBody: { eventList: list } };
    const submission = signCapture(document, { party: p.id, keyId: p.keyId, secretKey: p.secretKey }, tick());
    const t1 = performance.now();
    captureDocument(ledger, submission);
    const t2 = performance.now();
    signMs += t1 - t0;
    captureMs += t2 - t1;
    events += list.length;
    documents++;
    rssMax = Math.max(rssMax, process.memoryUsage.rss());
    if (Date.now() - lastLog >= EVERY_MS && log('progress') > MAX_DB_GIB * 1024) {
      diskLimit = true;
      break outer;
    }
    // Capture is synchronous: let the event loop run between documents, or a signal is never handled.
    await new Promise((resolve) => setImmediate(resolve));
  }
  units += ROUND_PALLETS * UNITS_PER_CASE * CASES_PER_PALLET;
}
log(diskLimit ? 'disk-limit' : stop ? 'stopped' : 'done');
ledger.close();
