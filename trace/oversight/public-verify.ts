/**
 * What a public verify tells oversight: a well-formed code the ledger does not know (unknown-code
 * detector), and a code presented with a sale reference (`?sale=`), answered with one of four
 * outcomes and checked by the duplicate-code detector. A verify of a known code without a sale
 * reference writes nothing (the public verify stays a read).
 */
import type { Ledger } from '../../ledger/ledger.ts';
import { salesOf, saleOutcome, type SaleOutcome } from './detectors/duplicate-code.ts';
import { recordObservation, runDetectors } from './runner.ts';

export interface SaleAnswer {
  reference: string;
  outcome: SaleOutcome;
  /** Distinct sales recorded for the code. */
  sales: number;
  message: string;
}

const MESSAGES: Record<SaleOutcome, string> = {
  no_sale: 'No sale of this pack is recorded.',
  sold_once_this_sale: 'This pack is recorded as sold once, in this sale.',
  sold_once_other_sale: 'This pack is recorded as sold in another sale. It may be a copy: show it to a pharmacist.',
  sold_more_than_once: 'This code is recorded as sold more than once. The pack may be a copy: show it to a pharmacist.',
};

export interface VerifiedCode {
  /** Canonical code. */
  code: string;
  genuine: boolean;
  /** The issuance verdict for an unknown code (`not-serialised` codes name no pack and are not observed). */
  issuance?: string | null;
}

/** Records what a public verify shows and runs the detectors on it; returns the sale answer when a reference was given. */
export function observePublicVerify(ledger: Ledger, verified: VerifiedCode, sale?: string, at = new Date()): SaleAnswer | undefined {
  const db = ledger.store.sql;
  const unknown = !verified.genuine && verified.issuance !== 'not-serialised';
  let answer: SaleAnswer | undefined;
  if (sale !== undefined) {
    const sales = verified.genuine ? salesOf(db, verified.code) : [];
    const outcome = saleOutcome(sales, sale);
    answer = { reference: sale, outcome, sales: sales.length, message: MESSAGES[outcome] };
  }
  if (!unknown && answer === undefined) return undefined;
  const id = recordObservation(db, {
    kind: 'public_verify',
    code: verified.code,
    party: null,
    at: at.toISOString(),
    data: { genuine: verified.genuine, issuance: verified.issuance ?? null, sale: sale ?? null, outcome: answer?.outcome ?? null },
  });
  try {
    runDetectors(ledger, { kind: 'observations', ids: [id] });
  } catch {
    // The patient's answer does not depend on the detectors.
  }
  return answer;
}
