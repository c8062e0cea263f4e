/**
 * The dispenser's question: may this pack be handed to a patient? One verdict:
 *
 * - `ok_to_dispense`: commissioned, in stock (active or received), not recalled, not expired;
 * - `do_not_dispense`: commissioned, but at least one reason says no (each with a code and a
 *   sentence: already dispensed, recalled, withdrawn, expired, destroyed, stolen, locked, exported,
 *   taken as a sample, still in transit, or not a unit at all but a container);
 * - `unknown_code`: the ledger has no commissioning for it: a counterfeit suspect. The issuance
 *   records say whether it was at least issued (printed but never commissioned) or never issued.
 */
import { lookupIssued, type IssuedVerdict } from '../../codes/issuance/index.ts';
import { effectiveStatus, type UnitStatus } from '../lifecycle.ts';
import { canonicalCode, connectionOf, statement, type QuerySource } from './db.ts';

export type Verdict = 'ok_to_dispense' | 'do_not_dispense' | 'unknown_code';

export type VerifyReasonCode =
  | 'dispensed'
  | 'recalled'
  | 'withdrawn'
  | 'expired'
  | 'destroyed'
  | 'stolen'
  | 'locked'
  | 'exported'
  | 'sample'
  | 'in_transit'
  | 'container'
  | 'not_commissioned'
  | 'not_issued'
  | 'not_serialised';

export interface VerifyReason {
  code: VerifyReasonCode;
  message: string;
}

export interface VerifyResult {
  verdict: Verdict;
  /** The canonical identifier of the code asked about. */
  code: string;
  /** True when the ledger holds its commissioning. */
  genuine: boolean;
  /** Stored status, or `expired` for an in-stock unit past its expiry at `at`; null if unknown. */
  status: UnitStatus | 'expired' | null;
  recalled: boolean;
  expiry: string | null;
  product: string | null;
  lot: string | null;
  /** The party holding it (the shipper while in transit). */
  custodian: string | null;
  location: string | null;
  /** Who dispensed it, where and when, if it was dispensed. */
  dispensed: { party: string; location: string | null; at: string } | null;
  /** Empty for ok_to_dispense. */
  reasons: VerifyReason[];
  /** For unknown codes: what the issuance records say (issued, not-issued, bad-check, unknown-product, not-serialised). */
  issuance: IssuedVerdict | null;
  /** The moment the verdict is for (ISO 8601). */
  at: string;
}

interface UnitRow {
  kind: 'unit' | 'container';
  status: UnitStatus;
  recalled: number;
  product: string | null;
  lot: string | null;
  expiry: string | null;
  custodian: string | null;
  location: string | null;
  shippedTo: string | null;
  statusBefore: UnitStatus | null;
  dispensedParty: string | null;
  dispensedLocation: string | null;
  dispensedAt: string | null;
}

const UNIT_SQL = `SELECT kind, status, recalled, product, lot, expiry, custodian, location, shipped_to AS "shippedTo",
  status_before AS "statusBefore", dispensed_party AS "dispensedParty", dispensed_location AS "dispensedLocation", dispensed_at AS "dispensedAt"
  FROM trace_units WHERE code = ?`;

const STATUS_REASONS: Partial<Record<UnitStatus | 'expired', (row: UnitRow) => VerifyReason>> = {
  dispensed: (r) => ({ code: 'dispensed', message: `already dispensed${r.dispensedParty ? ` by ${r.dispensedParty}` : ''}${r.dispensedAt ? ` on ${r.dispensedAt}` : ''}` }),
  withdrawn: () => ({ code: 'withdrawn', message: 'the product was withdrawn from the market' }),
  expired: (r) => ({ code: 'expired', message: `expired on ${r.expiry}` }),
  destroyed: () => ({ code: 'destroyed', message: 'recorded as destroyed' }),
  stolen: () => ({ code: 'stolen', message: 'reported stolen' }),
  locked: () => ({ code: 'locked', message: 'locked pending investigation' }),
  exported: () => ({ code: 'exported', message: 'exported out of the market' }),
  sample: () => ({ code: 'sample', message: 'taken as a sample' }),
  in_transit: (r) => ({ code: 'in_transit', message: `in transit${r.shippedTo ? ` to ${r.shippedTo}` : ''}: receive it before dispensing` }),
};

/**
 * The verdict for one code (any input form) at `at` (default now): expiry is judged on that day.
 * Malformed input throws QueryError TRACE_QUERY_BAD_CODE.
 */
export function verifyUnit(source: QuerySource, code: string, at: string = new Date().toISOString()): VerifyResult {
  const db = connectionOf(source);
  const canonical = canonicalCode(code);
  const row = statement(db, UNIT_SQL).get(canonical) as UnitRow | undefined;
  if (!row) {
    const store = 'store' in source ? source.store : source;
    const issuance = lookupIssued(store, canonical).verdict;
    const reason: VerifyReason =
      issuance === 'issued'
        ? { code: 'not_commissioned', message: 'issued but never commissioned: this code should not be on a pack in circulation' }
        : issuance === 'not-serialised'
          ? { code: 'not_serialised', message: 'this code names no single pack (a GTIN, lot or logistic unit): scan the pack\'s own 2D code' }
          : { code: 'not_issued', message: `not known to the ledger (issuance: ${issuance}): suspected counterfeit` };
    return {
      verdict: 'unknown_code',
      code: canonical,
      genuine: false,
      status: null,
      recalled: false,
      expiry: null,
      product: null,
      lot: null,
      custodian: null,
      location: null,
      dispensed: null,
      reasons: [reason],
      issuance,
      at,
    };
  }

  const recalled = row.recalled === 1;
  const status = effectiveStatus({ status: row.status, recalled, expiry: row.expiry ?? undefined }, at);
  const reasons: VerifyReason[] = [];
  if (row.kind === 'container') reasons.push({ code: 'container', message: 'this is a container code, not a pack: scan the pack itself' });
  if (recalled || status === 'recalled') reasons.push({ code: 'recalled', message: `the ${row.lot ? `lot ${row.lot}` : 'unit'} was recalled` });
  const byStatus = STATUS_REASONS[status];
  if (byStatus) reasons.push(byStatus(row));
  // A unit recalled or otherwise out of stock may also be past its date: say so too.
  if (status !== 'expired' && row.expiry !== null && at.slice(0, 10) > row.expiry) reasons.push({ code: 'expired', message: `expired on ${row.expiry}` });

  return {
    verdict: reasons.length === 0 ? 'ok_to_dispense' : 'do_not_dispense',
    code: canonical,
    genuine: true,
    status,
    recalled,
    expiry: row.expiry,
    product: row.product,
    lot: row.lot,
    custodian: row.custodian,
    location: row.location,
    dispensed: row.dispensedParty && row.dispensedAt ? { party: row.dispensedParty, location: row.dispensedLocation, at: row.dispensedAt } : null,
    reasons,
    issuance: null,
    at,
  };
}
