/**
 * Running detectors (docs/oversight.md, "Running"): after each capture is committed (the capture
 * observer), after a refused capture or a public verify is observed, and in batch over a time
 * range. Only filed detector versions run; alerts are keyed, so a re-run raises nothing twice.
 * Alerts never block or change a capture: the observer runs after the capture has returned, and
 * what it throws is swallowed.
 */
import type { SqlConnection } from '../../schemas/connection.ts';
import type { Ledger } from '../../ledger/ledger.ts';
import { observeCaptures, type CaptureSubmission, type PreparedCapture } from '../capture.ts';
import { directTargets } from '../rules.ts';
import { LifecycleError } from '../lifecycle.ts';
import { TraceError } from '../rules.ts';
import { eventLocation } from '../projections.ts';
import { raiseAlert, type Alert } from './alerts.ts';
import { OversightError } from './errors.ts';
import { currentFiling, requireFiling } from './filing.ts';
import { publishNotice } from './notify.ts';
import { DETECTORS, detectorById } from './registry.ts';
import { saleReference } from './detectors/duplicate-code.ts';
import { stmt } from './source.ts';
import type { Scope } from './types.ts';

export interface RunReport {
  /** Detectors that ran, with the filing they ran under. */
  ran: Array<{ detector: string; version: string; filing: number; findings: number }>;
  /** Detectors not run: their version is not filed. */
  skipped: Array<{ detector: string; version: string; code: 'OVERSIGHT_NOT_FILED' }>;
  /** Alerts raised by this run (findings already alerted are not raised again). */
  alerts: Alert[];
}

/**
 * Runs detectors over a scope and stores new alerts in one transaction, then publishes a notice
 * per new alert. With `only`, the named detectors must be filed (OVERSIGHT_NOT_FILED otherwise);
 * without it, every filed detector runs and unfiled ones are reported as skipped.
 */
export function runDetectors(ledger: Ledger, scope: Scope, options: { only?: string[]; now?: Date } = {}): RunReport {
  const db = ledger.store.sql;
  const report: RunReport = { ran: [], skipped: [], alerts: [] };
  const chosen = options.only ? options.only.map((id) => detectorById(id)) : DETECTORS;
  // Refuse an unfiled detector that was asked for by name before anything runs.
  if (options.only) for (const d of chosen) requireFiling(db, d.id);
  const run = db.transaction(() => {
    for (const d of chosen) {
      const filing = currentFiling(db, d.id, d.version);
      if (!filing) {
        report.skipped.push({ detector: d.id, version: d.version, code: 'OVERSIGHT_NOT_FILED' });
        continue;
      }
      const findings = d.scan(db, filing.parameters, scope);
      report.ran.push({ detector: d.id, version: d.version, filing: filing.position, findings: findings.length });
      for (const f of findings) {
        const alert = raiseAlert(db, filing, f, options.now);
        if (alert) report.alerts.push(alert);
      }
    }
  });
  run.immediate();
  for (const alert of report.alerts) publishNotice(db, 'alert', alert as unknown as Record<string, unknown>);
  return report;
}

/** Batch re-run over events and observations with times in [from, to). */
export function scanRange(ledger: Ledger, from: string, to: string, options: { only?: string[]; now?: Date } = {}): RunReport {
  const f = Date.parse(from);
  const t = Date.parse(to);
  if (Number.isNaN(f) || Number.isNaN(t) || f >= t) {
    throw new OversightError('OVERSIGHT_BAD_RANGE', `scan range ${from} .. ${to} is not two times, the first before the second`, { from, to, rule: 'from < to, both RFC 3339 or YYYY-MM-DD' });
  }
  return runDetectors(ledger, { kind: 'range', from: new Date(f).toISOString(), to: new Date(t).toISOString() }, options);
}

// ---- observations ----

export interface ObservationInput {
  kind: 'refused_event' | 'public_verify';
  code: string;
  party: string | null;
  at: string;
  data: Record<string, unknown>;
}

export function recordObservation(db: SqlConnection, o: ObservationInput): number {
  const row = stmt(db, 'INSERT INTO oversight_observations (kind, code, party, at, data) VALUES (?, ?, ?, ?, ?) RETURNING id').get(o.kind, o.code, o.party, o.at, JSON.stringify(o.data)) as { id: number };
  return row.id;
}

const OBSERVED_REFUSALS = new Set(['TRACE_NOT_COMMISSIONED', 'TRACE_ALREADY_DISPENSED', 'TRACE_RECALLED', 'TRACE_WITHDRAWN', 'TRACE_EXPIRED', 'TRACE_NOT_DESTINATION']);

/** The observation a refused capture leaves, when its refusal is one a detector reads; else null. */
export function refusalObservation(db: SqlConnection, party: string, error: unknown, prepared: PreparedCapture | undefined): ObservationInput | null {
  if (!prepared || !(error instanceof LifecycleError || error instanceof TraceError) || !OBSERVED_REFUSALS.has(error.code)) return null;
  const code = error instanceof LifecycleError ? error.unit : error.details.unit;
  if (!code) return null;
  const action = error instanceof LifecycleError ? error.action : 'receive';
  // The event that named the code (directly, else the first with that action, else the first).
  const event =
    prepared.events.find((e) => directTargets(e).some((t) => t.code === code)) ??
    prepared.events.find((e) => directTargets(e).some((t) => t.action === action)) ??
    prepared.events[0]!;
  const unit = stmt(db, 'SELECT status, recalled, expiry, custodian FROM trace_units WHERE code = ?').get(code) as
    | { status: string; recalled: number; expiry: string | null; custodian: string | null }
    | undefined;
  return {
    kind: 'refused_event',
    code,
    party,
    at: event.eventTime,
    data: {
      error: error.code,
      action,
      hashId: event.hashId,
      location: eventLocation(event) ?? null,
      sale: action === 'dispense' ? saleReference(event.source as Record<string, unknown>) : null,
      status: unit?.status ?? null,
      recalled: unit ? unit.recalled === 1 : false,
      expiry: unit?.expiry ?? null,
      custodian: unit?.custodian ?? null,
      destination: error instanceof TraceError ? ((error.details as Record<string, unknown>).destination ?? null) : null,
    },
  };
}

/** Depth of answerBeforeOversight scopes on this (synchronous) call stack. */
let answerFirst = 0;

/**
 * Runs a synchronous capture so that the detector runs it sets off wait for the event loop's next
 * turn: an HTTP route's answer is written first, so the capturing client does not wait for the
 * detectors (the API's capture routes). Outside such a scope (the CLI, tests) they have run by the
 * time captureDocument returns, or once the caller's transaction has ended.
 */
export function answerBeforeOversight<T>(capture: () => T): T {
  answerFirst++;
  try {
    return capture();
  } finally {
    answerFirst--;
  }
}

/** Runs `fn` now, once the caller's transaction has ended, or after the answer (answerBeforeOversight). */
function afterCommit(db: SqlConnection, fn: () => void): void {
  const safe = () => {
    try {
      fn();
    } catch {
      // Oversight never fails a capture; a detector error is not the submitter's problem.
    }
  };
  if (answerFirst > 0) setImmediate(safe);
  else if (db.inTransaction) queueMicrotask(safe);
  else safe();
}

let installed: (() => void) | null = null;

/** Runs filed detectors after every capture (and on refused ones) in this process. Idempotent. */
export function installOversight(): void {
  if (installed) return;
  installed = observeCaptures({
    committed(ledger, receipt) {
      afterCommit(ledger.store.sql, () => runDetectors(ledger, { kind: 'entry', position: receipt.position }));
    },
    refused(ledger, submission: CaptureSubmission, error, prepared) {
      const db = ledger.store.sql;
      const observation = refusalObservation(db, submission.signer?.party ?? '', error, prepared);
      if (!observation) return;
      afterCommit(db, () => {
        const id = recordObservation(db, observation);
        runDetectors(ledger, { kind: 'observations', ids: [id] });
      });
    },
  });
}

/** Stops the capture observer (tests). */
export function uninstallOversight(): void {
  installed?.();
  installed = null;
}
