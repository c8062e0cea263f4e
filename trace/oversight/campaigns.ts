/**
 * Recall campaigns (docs/oversight.md, "Recalls"): a manufacturer (its own products) or a
 * regulator recalls lots and/or single units with a reason and a class; the campaign is one signed
 * ledger entry of kind `recall` (payload in campaign-payload.ts), the affected units become
 * recalled (or withdrawn) through the same projection code as every recall, and the current
 * holders are told (notify.ts: stored notices, then SSE streams and webhooks).
 *
 * A campaign's id is its ledger position. Refusals are CampaignError with a RECALL_* code, raised
 * before anything is written; the signature and key state are checked first (LedgerError).
 */
import type { Ledger } from '../../ledger/ledger.ts';
import { ed25519, sha256 } from '../../ledger/crypto-node.ts';
import { bodyHash, signDocument, type EntryBody, type SignedDocument, type Signer } from '../../ledger/entry.ts';
import { Plan, planRecall } from '../projections.ts';
import { ownsProduct, type TraceParty } from '../parties.ts';
import type { UnitStatus } from '../lifecycle.ts';
import { CampaignError, campaignPayload, recallScope, type CampaignInput, type RecallClass, type RecallScope } from './campaign-payload.ts';
import { publishNotice } from './notify.ts';

export { CampaignError, campaignPayload, RECALL_CLASSES, type CampaignInput, type RecallClass } from './campaign-payload.ts';

/** What a party sends to start a campaign: the input and its signature over the derived entry body. */
export interface CampaignSubmission {
  campaign: CampaignInput;
  signer: Signer;
  /** RFC 3339: the submitter's clock, part of what is signed. */
  claimedTime: string;
  /** Base64 Ed25519 signature over signingMessage(body) of the derived body. */
  signature: string;
}

/** The entry body a campaign signs: kind `recall`, the normalised payload. */
export function campaignBody(campaign: CampaignInput, signer: Signer, claimedTime: string): EntryBody {
  return { kind: 'recall', signer: { party: signer.party, keyId: signer.keyId }, claimedTime, payload: campaignPayload(campaign) };
}

/** Signs a campaign (the CLI, a party's client, tests). */
export function signCampaign(campaign: CampaignInput, signer: Signer & { secretKey: Uint8Array }, claimedTime = new Date().toISOString()): CampaignSubmission {
  const body = campaignBody(campaign, signer, claimedTime);
  const signed = signDocument({ kind: body.kind, signer: body.signer, claimedTime, payload: body.payload }, signer.secretKey, { sha256, ed25519 });
  return { campaign, signer: { party: signer.party, keyId: signer.keyId }, claimedTime, signature: signed.signature };
}

export interface HolderNotice {
  party: string;
  /** Units of the campaign this party holds (custodian, or the destination of a unit on its way). */
  units: string[];
  /** Units of the campaign this party dispensed before the recall (patients may need telling). */
  dispensed: string[];
}

export interface StartedCampaign {
  id: number;
  duplicate: boolean;
  /** Units whose state the recall changed. */
  changed: number;
  /** Units the campaign covers. */
  units: number;
  notified: Array<{ party: string; units: number; dispensed: number }>;
}

interface ScopeUnit {
  code: string;
  kind: 'unit' | 'container';
  status: UnitStatus;
  recalled: number;
  product: string | null;
  lot: string | null;
  custodian: string | null;
  shipped_to: string | null;
  dispensed_party: string | null;
  last_event_at: string | null;
  custody_trail: string | null;
}

const UNIT_COLUMNS = 'code, kind, status, recalled, product, lot, custodian, shipped_to, dispensed_party, last_event_at, custody_trail';

/** Already covered by a recall or withdrawal: a second campaign would change nothing for it. */
function covered(u: Pick<ScopeUnit, 'status' | 'recalled'>): boolean {
  return u.recalled === 1 || u.status === 'recalled' || u.status === 'withdrawn';
}

function ownsLot(party: TraceParty, product: string): boolean {
  if (/^8\d{6}$/.test(product)) return party.cnPrefixes.some((p) => product.startsWith(p));
  return ownsProduct(party, `https://id.gs1.org/01/${product}`);
}

/** Every unit row a campaign scope covers, each once, in scope order (lots first, then codes). */
function scopeUnits(db: Ledger['store']['sql'], scope: RecallScope): ScopeUnit[] {
  const byLot = db.prepare(`SELECT ${UNIT_COLUMNS} FROM trace_units WHERE product = ? AND lot = ? AND kind = 'unit' ORDER BY code`);
  const byCode = db.prepare(`SELECT ${UNIT_COLUMNS} FROM trace_units WHERE code = ?`);
  const seen = new Set<string>();
  const out: ScopeUnit[] = [];
  for (const { product, lot } of scope.lots) {
    for (const u of byLot.all(product, lot) as ScopeUnit[]) if (!seen.has(u.code)) seen.add(u.code), out.push(u);
  }
  for (const code of scope.codes) {
    const u = byCode.get(code) as ScopeUnit | undefined;
    if (u && u.kind === 'unit' && !seen.has(code)) seen.add(code), out.push(u);
  }
  return out;
}

/** The party to tell about a unit: where it is going if in transit, else who holds it. */
function holderOf(u: ScopeUnit): string | null {
  if (u.status === 'destroyed' || u.status === 'stolen' || u.status === 'dispensed') return null;
  return u.shipped_to ?? u.custodian;
}

/**
 * Checks, records and announces a campaign. Order: format (RECALL_BAD_CAMPAIGN), then in one
 * transaction the signature and key (LedgerError), the signer's registration and right to recall,
 * every lot and code (RECALL_*), then the ledger entry and the projections. After the commit the
 * holders are notified. The same signed campaign again writes nothing and returns `duplicate`.
 */
export function startCampaign(ledger: Ledger, submission: CampaignSubmission, now = new Date()): StartedCampaign {
  if (!submission || typeof submission !== 'object' || !submission.signer || typeof submission.signature !== 'string' || typeof submission.claimedTime !== 'string') {
    throw new CampaignError('RECALL_BAD_CAMPAIGN', 'a campaign submission needs campaign, signer {party, keyId}, claimedTime and signature', { field: 'submission', rule: 'campaigns are signed' });
  }
  const body = campaignBody(submission.campaign, submission.signer, submission.claimedTime);
  const scope = recallScope(body.payload)!;
  const signed: SignedDocument = { body, signature: submission.signature };
  const db = ledger.store.sql;
  const run = db.transaction((): { id: number; duplicate: boolean; changed: number } => {
    const existing = db.prepare('SELECT position FROM ledger_entries WHERE body_hash = ?').pluck().get(bodyHash(body, sha256)) as number | undefined;
    if (existing !== undefined) return { id: ledger.append(signed).position, duplicate: true, changed: 0 };
    ledger.authenticate(signed);
    const plan = new Plan(db);
    const party = plan.party(body.signer.party);
    if (!party) throw new CampaignError('RECALL_UNKNOWN_PARTY', `${body.signer.party} is not a registered trace party`, { party: body.signer.party, rule: 'recalls come from registered parties' });
    const regulator = party.role === 'regulator';
    const refuseForeign = (product: string, extra: Record<string, unknown> = {}): never => {
      throw new CampaignError('RECALL_NOT_OWN_PRODUCT', `${party.party} may not recall ${product}: neither its product nor a regulator`, {
        party: party.party,
        product,
        rule: 'recalls come from the product owner or a regulator',
        ...extra,
      });
    };
    const lotExists = db.prepare('SELECT 1 FROM trace_lots WHERE product = ? AND lot = ?').pluck();
    const lotState = db.prepare(
      "SELECT COUNT(*) AS units, SUM(CASE WHEN recalled = 1 OR status IN ('recalled', 'withdrawn') THEN 1 ELSE 0 END) AS covered FROM trace_units WHERE product = ? AND lot = ? AND kind = 'unit'",
    );
    const earlier = db.prepare('SELECT position FROM trace_recalls WHERE product = ? AND lot = ? ORDER BY position DESC LIMIT 1').pluck();
    for (const { product, lot } of scope.lots) {
      if (!regulator && !ownsLot(party, product)) refuseForeign(product, { lot });
      if (lotExists.get(product, lot) === undefined) throw new CampaignError('RECALL_UNKNOWN_LOT', `no unit of lot ${lot} of ${product} was ever commissioned`, { product, lot, rule: 'a recalled lot exists' });
      const state = lotState.get(product, lot) as { units: number; covered: number | null };
      if (state.units > 0 && state.covered === state.units) {
        throw new CampaignError('RECALL_ALREADY_RECALLED', `every unit of lot ${lot} of ${product} is already recalled or withdrawn`, {
          product,
          lot,
          recalledAt: (earlier.get(product, lot) as number | undefined) ?? null,
          rule: 'a campaign changes something',
        });
      }
    }
    const unitRow = db.prepare(`SELECT ${UNIT_COLUMNS} FROM trace_units WHERE code = ?`);
    for (const code of scope.codes) {
      const u = unitRow.get(code) as ScopeUnit | undefined;
      if (!u) throw new CampaignError('RECALL_UNKNOWN_CODE', `${code} was never commissioned`, { unit: code, rule: 'a recalled unit exists' });
      if (u.kind !== 'unit') throw new CampaignError('RECALL_NOT_A_UNIT', `${code} is a case or pallet: recall its lots, or name the units inside`, { unit: code, rule: 'a campaign names lots or units' });
      if (!regulator && !ownsProduct(party, code)) refuseForeign(u.product ?? code, { unit: code });
      if (covered(u)) throw new CampaignError('RECALL_ALREADY_RECALLED', `${code} is already ${u.status === 'withdrawn' ? 'withdrawn' : 'recalled'}`, { unit: code, currentStatus: u.status, rule: 'a campaign changes something' });
    }
    const position = ledger.size();
    const receipt = ledger.append(signed);
    if (receipt.position !== position) throw new Error(`ledger appended at ${receipt.position}, expected ${position}`);
    const changed = planRecall(plan, body, position);
    plan.write();
    return { id: position, duplicate: false, changed };
  });
  const done = run.immediate();
  const units = scopeUnits(db, scope);
  if (done.duplicate) return { ...done, units: units.length, notified: [] };
  const holders = new Map<string, HolderNotice>();
  const holder = (party: string) => {
    let h = holders.get(party);
    if (!h) holders.set(party, (h = { party, units: [], dispensed: [] }));
    return h;
  };
  for (const u of units) {
    const h = holderOf(u);
    if (h) holder(h).units.push(u.code);
    if (u.status === 'dispensed' && u.dispensed_party) holder(u.dispensed_party).dispensed.push(u.code);
  }
  const summary = campaignSummary(ledger, done.id);
  const at = now;
  const notified: StartedCampaign['notified'] = [];
  for (const h of [...holders.values()].sort((a, b) => a.party.localeCompare(b.party))) {
    publishNotice(db, 'recall', { event: 'recall.started', campaign: summary, party: h.party, units: h.units, dispensed: h.dispensed }, { party: h.party, at });
    notified.push({ party: h.party, units: h.units.length, dispensed: h.dispensed.length });
  }
  publishNotice(db, 'recall', { event: 'recall.started', campaign: summary, holders: notified }, { party: null, at });
  return { ...done, units: units.length, notified };
}

export interface CampaignSummary {
  id: number;
  kind: 'recall' | 'withdrawal';
  class: RecallClass | null;
  reason: string;
  party: string;
  /** The signer's claimed time. */
  startedAt: string;
  /** The ledger's clock when it accepted the entry. */
  recordedAt: string;
  lots: Array<{ product: string; lot: string }>;
  codes: string[];
  /** Units whose state the recall changed when it was recorded. */
  changed: number;
}

/** One recall entry as a campaign (also the older single-lot recalls, with class null). */
export function campaignSummary(ledger: Ledger, id: number): CampaignSummary {
  const row = ledger.store.sql.prepare('SELECT unit_count FROM trace_recalls WHERE position = ?').get(id) as { unit_count: number } | undefined;
  if (!row || !Number.isInteger(id)) throw new CampaignError('RECALL_UNKNOWN_CAMPAIGN', `no recall campaign at ledger position ${id}`, { campaign: id });
  const { entry } = ledger.get(id);
  const scope = recallScope(entry.body.payload)!;
  return {
    id,
    kind: scope.withdrawal ? 'withdrawal' : 'recall',
    class: scope.class,
    reason: scope.reason,
    party: entry.body.signer.party,
    startedAt: entry.body.claimedTime,
    recordedAt: entry.receivedAt,
    lots: scope.lots,
    codes: scope.codes,
    changed: row.unit_count,
  };
}

/** Every campaign, newest first; a manufacturer's view may be narrowed with `visible`. */
export function listCampaigns(ledger: Ledger, options: { visible?: (c: CampaignSummary) => boolean } = {}): CampaignSummary[] {
  const ids = ledger.store.sql.prepare('SELECT position FROM trace_recalls ORDER BY position DESC').pluck().all() as number[];
  const out = ids.map((id) => campaignSummary(ledger, id));
  return options.visible ? out.filter(options.visible) : out;
}

/** The products a campaign is about (lots' products and the codes' GTINs or CN resource codes). */
export function campaignProducts(ledger: Ledger, c: CampaignSummary): string[] {
  const products = new Set(c.lots.map((l) => l.product));
  const productOf = ledger.store.sql.prepare('SELECT product FROM trace_units WHERE code = ?').pluck();
  for (const code of c.codes) {
    const p = productOf.get(code) as string | null | undefined;
    if (p) products.add(p);
  }
  return [...products].sort();
}

/** Whether `party` (a manufacturer) owns every product of the campaign, or started it. */
export function campaignVisibleTo(ledger: Ledger, c: CampaignSummary, party: TraceParty | undefined, partyId: string): boolean {
  if (c.party === partyId) return true;
  if (!party) return false;
  const products = campaignProducts(ledger, c);
  return products.length > 0 && products.every((p) => ownsLot(party, p));
}

export { scopeUnits as campaignUnits, type ScopeUnit as CampaignUnit };
