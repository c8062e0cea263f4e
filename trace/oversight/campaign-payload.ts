/**
 * The recall campaign as a ledger entry (kind `recall`) and its refusals (docs/oversight.md,
 * "Recalls"). Pure functions: the client that signs and the server that records derive the same
 * payload from the same input, so the signature covers exactly what is stored.
 *
 * Payload (`drugtrace-recall/v1`):
 *   { format, class: "I" | "II" | "III", reason, withdrawal?: true,
 *     lots: [{ product, lot }], codes: [canonical unit code] }
 * `product` is a GTIN-14 or a CN product resource code; codes are canonical identifiers of
 * serialised units. The older single-lot payload `{ product, lot, reason, withdrawal? }`
 * (trace/capture.ts recordRecall) reads as a campaign of one lot with no class.
 */
import { gs1CheckDigit } from '../../codes/gs1/linters.ts';
import { describeIdentifier } from '../../codes/identifier.ts';
import type { JsonObject, JsonValue } from '../../ledger/entry.ts';
import type { UnitStatus } from '../lifecycle.ts';

export const CAMPAIGN_FORMAT = 'drugtrace-recall/v1';
/** Health-hazard classes (FDA / WHO usage): I serious harm or death likely, II temporary or reversible harm, III harm unlikely. */
export const RECALL_CLASSES = ['I', 'II', 'III'] as const;
export type RecallClass = (typeof RECALL_CLASSES)[number];

/** Most lots and codes one campaign may name (a larger recall names lots). */
export const MAX_CAMPAIGN_LOTS = 1000;
export const MAX_CAMPAIGN_CODES = 10_000;

export type CampaignErrorCode =
  /** The campaign input breaks its format (details.field, details.rule). */
  | 'RECALL_BAD_CAMPAIGN'
  /** The signer has no trace registration. */
  | 'RECALL_UNKNOWN_PARTY'
  /** A manufacturer recalling a product outside its registered prefixes (details.product). */
  | 'RECALL_NOT_OWN_PRODUCT'
  /** No unit of the lot was ever commissioned (details.product, details.lot). */
  | 'RECALL_UNKNOWN_LOT'
  /** The code was never commissioned (details.unit). */
  | 'RECALL_UNKNOWN_CODE'
  /** The code is a case or pallet, not a unit: recall its lots, or the units inside (details.unit). */
  | 'RECALL_NOT_A_UNIT'
  /** Every unit of the lot, or the unit named, is already recalled or withdrawn (details.recalledAt). */
  | 'RECALL_ALREADY_RECALLED'
  /** No campaign at that ledger position. */
  | 'RECALL_UNKNOWN_CAMPAIGN';

export class CampaignError extends Error {
  override readonly name = 'CampaignError';
  constructor(
    readonly code: CampaignErrorCode,
    message: string,
    readonly details: { field?: string; rule?: string; party?: string; product?: string; lot?: string; unit?: string; currentStatus?: UnitStatus; [key: string]: unknown } = {},
  ) {
    super(message);
  }
}

/** What a person asks for; `lots[].gtin` may be a GTIN of 8, 12, 13 or 14 digits or a CN product resource code. */
export interface CampaignInput {
  reason: string;
  class: RecallClass | string;
  withdrawal?: boolean;
  lots?: Array<{ gtin: string; lot: string }>;
  codes?: string[];
}

/** What the ledger entry says, read back (any recall entry: campaign or the older single-lot form). */
export interface RecallScope {
  class: RecallClass | null;
  reason: string;
  withdrawal: boolean;
  lots: Array<{ product: string; lot: string }>;
  codes: string[];
}

const bad = (message: string, field: string, rule: string, extra: Record<string, unknown> = {}): never => {
  throw new CampaignError('RECALL_BAD_CAMPAIGN', `recall campaign: ${message}`, { field, rule, ...extra });
};

/** A GTIN (8/12/13/14 digits, check digit valid) as GTIN-14, or a CN product resource code as is. */
export function campaignProduct(input: string, field = 'lots[].gtin'): string {
  const s = typeof input === 'string' ? input.trim() : '';
  if (/^8\d{6}$/.test(s)) return s;
  if (!/^(\d{8}|\d{12,14})$/.test(s)) bad(`product ${JSON.stringify(input)} is not a GTIN (8, 12, 13 or 14 digits) or a CN product resource code (8 + 6 digits)`, field, 'product format');
  const expected = gs1CheckDigit(s.slice(0, -1));
  if (expected !== Number(s.at(-1))) bad(`GTIN ${s}: check digit is ${s.at(-1)}, expected ${expected}`, field, 'GTIN check digit');
  return s.padStart(14, '0');
}

/** A serialised unit's code in canonical form (SGTIN Digital Link or CN URN). */
export function campaignCode(input: string): string {
  let d: ReturnType<typeof describeIdentifier>;
  try {
    d = describeIdentifier(input);
  } catch (err) {
    return bad(`code ${JSON.stringify(String(input).slice(0, 80))} is not readable: ${(err as Error).message}`, 'codes[]', 'code format', { reason: (err as { code?: string }).code });
  }
  if (d.kind === 'sscc') throw new CampaignError('RECALL_NOT_A_UNIT', `${d.uri} is a logistic unit (SSCC): recall the lots, or name the units inside`, { unit: d.uri, rule: 'a campaign names lots or units' });
  if (d.kind !== 'sgtin' && d.kind !== 'cn') bad(`${d.uri} names no single unit (${d.kind}): give a serialised code, or recall the lot`, 'codes[]', 'serialised unit');
  return d.uri;
}

/**
 * The ledger payload of a campaign: checked and normalised (products as GTIN-14, codes canonical,
 * repeats dropped, order kept). Throws RECALL_BAD_CAMPAIGN naming the field.
 */
export function campaignPayload(input: CampaignInput): JsonObject {
  if (!input || typeof input !== 'object') bad('no campaign given', 'campaign', 'an object');
  if (typeof input.reason !== 'string' || input.reason.trim() === '') bad('the reason is empty', 'reason', 'a recall says why');
  if (input.reason.length > 2000) bad(`the reason has ${input.reason.length} characters (at most 2,000)`, 'reason', 'length');
  if (!(RECALL_CLASSES as readonly string[]).includes(input.class)) bad(`class ${JSON.stringify(input.class)} is not one of I, II, III`, 'class', 'recall class');
  if (input.withdrawal !== undefined && typeof input.withdrawal !== 'boolean') bad('withdrawal must be true or false', 'withdrawal', 'boolean');
  const lotsIn = input.lots ?? [];
  const codesIn = input.codes ?? [];
  if (!Array.isArray(lotsIn) || !Array.isArray(codesIn)) bad('lots and codes are lists', 'lots', 'lists');
  if (lotsIn.length === 0 && codesIn.length === 0) bad('name at least one lot or one code', 'lots', 'a campaign names lots or units');
  if (lotsIn.length > MAX_CAMPAIGN_LOTS) bad(`${lotsIn.length} lots (at most ${MAX_CAMPAIGN_LOTS})`, 'lots', 'size');
  if (codesIn.length > MAX_CAMPAIGN_CODES) bad(`${codesIn.length} codes (at most ${MAX_CAMPAIGN_CODES}): recall the lots instead`, 'codes', 'size');
  const lots: JsonObject[] = [];
  const seenLots = new Set<string>();
  for (const l of lotsIn) {
    if (!l || typeof l !== 'object' || typeof l.lot !== 'string' || l.lot.trim() === '' || l.lot.length > 20) bad(`lot ${JSON.stringify(l?.lot)} must be 1 to 20 characters`, 'lots[].lot', 'GS1 AI (10)');
    const product = campaignProduct(l.gtin);
    const key = `${product} ${l.lot}`;
    if (seenLots.has(key)) continue;
    seenLots.add(key);
    lots.push({ product, lot: l.lot });
  }
  const codes: string[] = [];
  const seenCodes = new Set<string>();
  for (const c of codesIn) {
    const code = campaignCode(c);
    if (seenCodes.has(code)) continue;
    seenCodes.add(code);
    codes.push(code);
  }
  const payload: JsonObject = { format: CAMPAIGN_FORMAT, class: input.class, reason: input.reason, lots, codes };
  if (input.withdrawal) payload.withdrawal = true;
  return payload;
}

function isStringArray(v: JsonValue | undefined): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

/**
 * Reads a recall entry's payload leniently (an entry the ledger accepted must always project);
 * null when it describes no recall.
 */
export function recallScope(payload: JsonObject): RecallScope | null {
  const { reason, withdrawal } = payload;
  if (typeof reason !== 'string') return null;
  if (withdrawal !== undefined && typeof withdrawal !== 'boolean') return null;
  if (payload.format === CAMPAIGN_FORMAT) {
    const lots = Array.isArray(payload.lots)
      ? payload.lots.flatMap((l) => (l && typeof l === 'object' && !Array.isArray(l) && typeof l.product === 'string' && typeof l.lot === 'string' ? [{ product: l.product, lot: l.lot }] : []))
      : [];
    const codes = isStringArray(payload.codes) ? payload.codes : [];
    const cls = (RECALL_CLASSES as readonly unknown[]).includes(payload.class) ? (payload.class as RecallClass) : null;
    return { class: cls, reason, withdrawal: withdrawal === true, lots, codes };
  }
  const { product, lot } = payload;
  if (typeof product !== 'string' || typeof lot !== 'string') return null;
  return { class: null, reason, withdrawal: withdrawal === true, lots: [{ product, lot }], codes: [] };
}
