/**
 * The oversight capture hook (docs/oversight.md, "Running"): what filing the detectors costs a
 * capture. Two ledgers get the same signed documents of the standard workload (the parties are
 * registered with the same keys in both): one with all six detectors filed, one with none. Both
 * run with the capture observer installed, as `drugtrace serve` does, so the only difference is
 * the detectors' work. Documents alternate between the two ledgers (the order flips each
 * document) so both see the same machine load; wall and CPU time are summed per side.
 *
 * Then each detector runs alone over every capture entry of the detector ledger again
 * (runDetectors with `only`; alerts are keyed, so nothing is raised twice), to say which detector
 * costs what per entry, split by the entry's largest business step (dispensing documents hold up
 * to 500 dispense events).
 *
 * `--filler N` first captures N more pallets into both ledgers, untimed, so the measured entries
 * land on a bigger store: a detector whose reads grow with the store shows it there.
 *
 * Usage: npx tsx bench/oversight.bench.ts [--pallets 6] [--filler 0] [--dispense-batch 500]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ledger } from '../ledger/ledger.ts';
import { captureDocument, type CaptureSubmission } from '../trace/capture.ts';
import { fileDetector } from '../trace/oversight/filing.ts';
import { DETECTORS } from '../trace/oversight/registry.ts';
import { installOversight, runDetectors } from '../trace/oversight/runner.ts';
import { registerParties, Workload } from './fixtures/trace-workload.ts';
import { numberArg } from './fixtures/args.ts';

const PALLETS = numberArg('pallets', 6);
const FILLER = numberArg('filler', 0);
const DISPENSE_BATCH = numberArg('dispense-batch', 500);

interface Side {
  ledger: Ledger;
  seconds: number;
  cpu: number;
}

function timed(side: Side, submission: CaptureSubmission): number {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const receipt = captureDocument(side.ledger, submission);
  side.seconds += Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(c0);
  side.cpu += (cpu.user + cpu.system) / 1e6;
  return receipt.position;
}

/** The business step most of a document's events carry (its kind of work). */
function mainStep(submission: CaptureSubmission): string {
  const counts = new Map<string, number>();
  const events = (submission.document as { epcisBody: { eventList: Array<{ bizStep?: string }> } }).epcisBody.eventList;
  for (const e of events) counts.set(e.bizStep ?? '(none)', (counts.get(e.bizStep ?? '(none)') ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0][0];
}

const dir = mkdtempSync(join(tmpdir(), 'drugtrace-oversight-bench-'));
try {
  installOversight();
  const plain: Side = { ledger: Ledger.init(join(dir, 'plain.db'), { origin: 'bench.example/oversight-plain' }), seconds: 0, cpu: 0 };
  const watched: Side = { ledger: Ledger.init(join(dir, 'watched.db'), { origin: 'bench.example/oversight-watched' }), seconds: 0, cpu: 0 };
  const parties = registerParties(plain.ledger);
  registerParties(watched.ledger, parties);
  for (const d of DETECTORS) fileDetector(watched.ledger, d.id);

  if (FILLER > 0) {
    const filler = new Workload(parties, { dispense: 0.5, dispenseBatch: DISPENSE_BATCH });
    for (let p = 0; p < FILLER; p++) filler.pallet(`FL${String(p).padStart(4, '0')}`, 1_000_000 + p * 1000, `dist-${(p % 2) + 1}`, `pharmacy-${(p % 5) + 1}`, false);
    for (const s of filler.signed()) {
      captureDocument(plain.ledger, s);
      captureDocument(watched.ledger, s);
    }
    const rows = plain.ledger.store.sql.prepare('SELECT COUNT(*) FROM trace_unit_events').pluck().get() as number;
    console.log(`filler: ${FILLER} pallets captured into both ledgers first (${rows} per-code index rows each)`);
  }

  const workload = new Workload(parties, { dispense: 0.5, dispenseBatch: DISPENSE_BATCH });
  for (let p = 0; p < PALLETS; p++) workload.pallet(`OV${String(p).padStart(3, '0')}`, p * 1000, `dist-${(p % 2) + 1}`, `pharmacy-${(p % 5) + 1}`, false);
  const submissions = workload.signed();
  const entries: Array<{ position: number; step: string; events: number }> = [];
  let events = 0;
  submissions.forEach((s, i) => {
    const n = (s.document as { epcisBody: { eventList: unknown[] } }).epcisBody.eventList.length;
    events += n;
    let position: number;
    if (i % 2 === 0) {
      timed(plain, s);
      position = timed(watched, s);
    } else {
      position = timed(watched, s);
      timed(plain, s);
    }
    entries.push({ position, step: mainStep(s), events: n });
  });

  console.log(`capture of ${submissions.length} documents (${events} events), the same documents into both ledgers, alternating:`);
  console.log(`  no detectors filed   ${plain.seconds.toFixed(2)} s wall, ${plain.cpu.toFixed(2)} s CPU`);
  console.log(`  six detectors filed  ${watched.seconds.toFixed(2)} s wall, ${watched.cpu.toFixed(2)} s CPU`);
  console.log(`  ratio (with ÷ without): wall ${(watched.seconds / plain.seconds).toFixed(2)}, CPU ${(watched.cpu / plain.cpu).toFixed(2)}`);

  // Each detector alone, per entry, grouped by the entry's main business step.
  const steps = [...new Set(entries.map((e) => e.step))];
  console.log('\neach detector alone, mean ms per entry (entries grouped by their main business step; mean events per entry):');
  console.log(`  ${'detector'.padEnd(18)}${steps.map((s) => s.padStart(16)).join('')}`);
  console.log(
    `  ${'(events/entry)'.padEnd(18)}${steps
      .map((s) => {
        const of = entries.filter((e) => e.step === s);
        return String(Math.round(of.reduce((a, e) => a + e.events, 0) / of.length)).padStart(16);
      })
      .join('')}`,
  );
  for (const d of DETECTORS) {
    const cells = steps.map((step) => {
      const of = entries.filter((e) => e.step === step);
      const t0 = process.hrtime.bigint();
      for (const e of of) runDetectors(watched.ledger, { kind: 'entry', position: e.position }, { only: [d.id] });
      return (Number(process.hrtime.bigint() - t0) / 1e6 / of.length).toFixed(2).padStart(16);
    });
    console.log(`  ${d.id.padEnd(18)}${cells.join('')}`);
  }
  plain.ledger.close();
  watched.ledger.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
