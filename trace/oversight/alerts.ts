/**
 * Alerts and their review (docs/oversight.md, "Review"). An alert is what a filed detector found:
 * it names the detector, its version and filing position, and the evidence (ledger positions,
 * observations). It changes no unit. A named reviewer of a regulator confirms or dismisses it with
 * a reason; the decision is a signed `review_decision` ledger entry, written in the same
 * transaction as the alert's new status.
 */
import type { SqlConnection } from '../../schemas/connection.ts';
import { canonicalJson } from '../../ledger/canonical.ts';
import { ed25519, sha256 } from '../../ledger/crypto-node.ts';
import { signDocument, type EntryBody, type JsonObject, type SignedDocument } from '../../ledger/entry.ts';
import type { Ledger } from '../../ledger/ledger.ts';
import { OversightError } from './errors.ts';
import type { Filing } from './filing.ts';
import { stmt } from './source.ts';
import type { Evidence, Finding, Severity } from './types.ts';

export type AlertStatus = 'open' | 'confirmed' | 'dismissed';
export type ReviewDecision = 'confirm' | 'dismiss';

/** A stored finding: which detector version raised it, when, and what a reviewer decided. */
export interface Alert extends Finding {
  id: number;
  detector: string;
  version: string;
  /** Ledger position of the filing the detector ran under. */
  filing: number;
  createdAt: string;
  status: AlertStatus;
  review: { position: number; decision: ReviewDecision; reviewer: string; party: string; reason: string; at: string } | null;
}

interface AlertRow {
  id: number;
  detector: string;
  version: string;
  filing: number;
  key: string;
  subject: string;
  severity: Severity;
  summary: string;
  details: string;
  evidence: string;
  observed_at: string;
  created_at: string;
  status: AlertStatus;
  review_position: number | null;
  reviewer: string | null;
  review_party: string | null;
  review_reason: string | null;
  reviewed_at: string | null;
}

function alertFrom(db: SqlConnection, r: AlertRow): Alert {
  return {
    id: r.id,
    detector: r.detector,
    version: r.version,
    filing: r.filing,
    key: r.key,
    subject: r.subject,
    parties: stmt(db, 'SELECT party FROM oversight_alert_parties WHERE alert_id = ? ORDER BY party').pluck().all(r.id) as string[],
    severity: r.severity,
    summary: r.summary,
    details: JSON.parse(r.details) as JsonObject,
    evidence: JSON.parse(r.evidence) as Evidence,
    observedAt: r.observed_at,
    createdAt: r.created_at,
    status: r.status,
    review:
      r.review_position === null
        ? null
        : { position: r.review_position, decision: r.status === 'confirmed' ? 'confirm' : 'dismiss', reviewer: r.reviewer!, party: r.review_party!, reason: r.review_reason!, at: r.reviewed_at! },
  };
}

/** Stores a finding as an alert unless (detector, key) already has one; returns the new alert or null. */
export function raiseAlert(db: SqlConnection, filing: Filing, finding: Finding, now = new Date()): Alert | null {
  const inserted = stmt(
    db,
    `INSERT INTO oversight_alerts (detector, version, filing, key, subject, severity, summary, details, evidence, observed_at, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (detector, key) DO NOTHING RETURNING id`,
  ).get(
    filing.detector,
    filing.version,
    filing.position,
    finding.key,
    finding.subject,
    finding.severity,
    finding.summary,
    JSON.stringify(finding.details),
    JSON.stringify(finding.evidence),
    finding.observedAt,
    now.toISOString(),
  ) as { id: number } | undefined;
  if (inserted === undefined) return null;
  const id = inserted.id;
  for (const party of new Set(finding.parties)) stmt(db, 'INSERT INTO oversight_alert_parties (alert_id, party) VALUES (?, ?) ON CONFLICT (alert_id, party) DO NOTHING').run(id, party);
  return getAlert(db, id)!;
}

export function getAlert(db: SqlConnection, id: number): Alert | undefined {
  const row = stmt(db, 'SELECT * FROM oversight_alerts WHERE id = ?').get(id) as AlertRow | undefined;
  return row && alertFrom(db, row);
}

export interface AlertQuery {
  status?: AlertStatus;
  detector?: string;
  /** Only alerts about this party. */
  party?: string;
  /** Alerts with id below this (pages newest first). */
  before?: number;
  limit?: number;
}

/** Alerts, newest first. */
export function listAlerts(db: SqlConnection, query: AlertQuery = {}): Alert[] {
  const where: string[] = [];
  const args: unknown[] = [];
  if (query.status) (where.push('a.status = ?'), args.push(query.status));
  if (query.detector) (where.push('a.detector = ?'), args.push(query.detector));
  if (query.party) (where.push('a.id IN (SELECT alert_id FROM oversight_alert_parties WHERE party = ?)'), args.push(query.party));
  if (query.before !== undefined) (where.push('a.id < ?'), args.push(query.before));
  const sql = `SELECT a.* FROM oversight_alerts a ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY a.id DESC LIMIT ?`;
  return (db.prepare(sql).all(...args, Math.min(Math.max(query.limit ?? 100, 1), 1000)) as AlertRow[]).map((r) => alertFrom(db, r));
}

export interface ReviewInput {
  decision: ReviewDecision;
  reason: string;
  /** The person deciding (name or staff id), not only their organisation. */
  reviewer: string;
}

/** The payload of a review decision: the alert it decides (by detector, version, key and filing), the decision, reason and reviewer. */
export function reviewPayload(alert: Alert, input: ReviewInput): JsonObject {
  return {
    alert: { id: alert.id, detector: alert.detector, version: alert.version, filing: alert.filing, key: alert.key },
    decision: input.decision,
    reason: input.reason,
    reviewer: input.reviewer,
  };
}

/** The entry body a reviewer signs (clients derive the same body: see the API's review route). */
export function reviewBody(alert: Alert, input: ReviewInput, signer: { party: string; keyId: string }, claimedTime: string): EntryBody {
  return { kind: 'review_decision', signer: { party: signer.party, keyId: signer.keyId }, claimedTime, payload: reviewPayload(alert, input) };
}

/** Signs a review decision with a regulator party's key (CLI, tests). */
export function signReview(alert: Alert, input: ReviewInput, signer: { party: string; keyId: string; secretKey: Uint8Array }, claimedTime = new Date().toISOString()): SignedDocument {
  const body = reviewBody(alert, input, signer, claimedTime);
  return signDocument({ kind: body.kind, signer: body.signer, claimedTime: body.claimedTime, payload: body.payload }, signer.secretKey, { sha256, ed25519 });
}

function checkInput(input: ReviewInput): void {
  const fail = (field: string, message: string): never => {
    throw new OversightError('OVERSIGHT_BAD_REVIEW', `review: ${message}`, { field, rule: 'a review names a reviewer, a decision (confirm or dismiss) and a reason' });
  };
  if (input.decision !== 'confirm' && input.decision !== 'dismiss') fail('decision', `decision ${JSON.stringify(input.decision)} is not confirm or dismiss`);
  if (typeof input.reason !== 'string' || input.reason.trim() === '') fail('reason', 'reason is empty');
  if (input.reason.length > 2000) fail('reason', 'reason is longer than 2,000 characters');
  if (typeof input.reviewer !== 'string' || input.reviewer.trim() === '') fail('reviewer', 'reviewer is empty');
  if (input.reviewer.length > 200) fail('reviewer', 'reviewer is longer than 200 characters');
}

/**
 * Records a signed review decision: the alert exists and is open, the entry is exactly the body
 * derived for this alert and input, the signer is a registered regulator; then the ledger entry
 * and the alert's status in one transaction.
 */
export function recordReview(ledger: Ledger, alertId: number, input: ReviewInput, signed: SignedDocument): Alert {
  checkInput(input);
  const db = ledger.store.sql;
  const run = db.transaction((): Alert => {
    const alert = getAlert(db, alertId);
    if (!alert) throw new OversightError('OVERSIGHT_UNKNOWN_ALERT', `no alert ${alertId}`, { alert: alertId });
    if (alert.status !== 'open') {
      throw new OversightError('OVERSIGHT_ALREADY_REVIEWED', `alert ${alertId} was already reviewed: ${alert.status} by ${alert.review?.reviewer} (${alert.review?.party}) at ledger position ${alert.review?.position}`, {
        alert: alertId,
        currentStatus: alert.status,
        reviewPosition: alert.review?.position ?? null,
        rule: 'an alert is decided once',
      });
    }
    const signer = signed.body?.signer;
    const role = signer ? (stmt(db, 'SELECT role FROM trace_parties WHERE party = ?').pluck().get(signer.party) as string | undefined) : undefined;
    if (!signer || role !== 'regulator') {
      throw new OversightError('OVERSIGHT_NOT_AUTHORIZED', `${signer?.party ?? 'nobody'} may not review alerts (role ${role ?? 'none'}): a regulator reviews`, {
        party: signer?.party ?? null,
        role: role ?? null,
        rule: 'regulators review alerts',
      });
    }
    const expected = reviewBody(alert, input, signer, signed.body.claimedTime);
    if (canonicalJson(expected) !== canonicalJson(signed.body)) {
      throw new OversightError('OVERSIGHT_BAD_REVIEW', `review: the signed entry is not the decision on alert ${alertId} as given`, { field: 'body', rule: 'the reviewer signs the decision on this alert' });
    }
    const position = ledger.size();
    const receipt = ledger.append(signed);
    if (receipt.duplicate || receipt.position !== position) throw new OversightError('OVERSIGHT_ALREADY_REVIEWED', `this signed decision is already in the ledger at position ${receipt.position}`, { alert: alertId, reviewPosition: receipt.position });
    stmt(db, 'UPDATE oversight_alerts SET status = ?, review_position = ?, reviewer = ?, review_party = ?, review_reason = ?, reviewed_at = ? WHERE id = ?').run(
      input.decision === 'confirm' ? 'confirmed' : 'dismissed',
      position,
      input.reviewer,
      signer.party,
      input.reason,
      signed.body.claimedTime,
      alertId,
    );
    return getAlert(db, alertId)!;
  });
  return run.immediate();
}
