/**
 * Trace parties: what a party_registration entry says about a supply-chain party (role, name,
 * locations, product prefixes), the strict check before registering, and the lenient reading the
 * projections use (an entry the ledger accepted must always project, so unknown shapes degrade
 * to role `other` with no locations rather than fail a rebuild).
 */
import type { Ledger } from '../ledger/ledger.ts';
import type { JsonObject } from '../ledger/entry.ts';
import { describeIdentifier } from '../codes/identifier.ts';
import { canonicalEpcisIdentifier } from './epcis/index.ts';
import { PARTY_ROLES, type PartyRole } from '../schemas/tables/trace.ts';
import { TraceError } from './rules.ts';
import { Plan, planPartyRegistration } from './projections.ts';

export { PARTY_ROLES, type PartyRole };

export interface TraceParty {
  party: string;
  role: PartyRole;
  name: string;
  /** Canonical location identifiers (https://id.gs1.org/414/{gln}[/254/{ext}], or /417/ for a party GLN). */
  locations: string[];
  /** GS1 company prefixes or whole GTINs / SSCC prefixes (digits) the party may commission. */
  prefixes: string[];
  /** CN product resource codes (7 digits) or prefixes of them. */
  cnPrefixes: string[];
}

export interface PartyInput {
  party: string;
  role: string;
  name: string;
  /** GLNs (13 digits), sgln/pgln URNs or Digital Links. */
  locations: string[];
  prefixes?: string[];
  cnPrefixes?: string[];
}

const DIGITS = /^[0-9]{4,14}$/;
const CN_DIGITS = /^8[0-9]{0,6}$/;
/** A location is a GLN (with an optional extension) or a party GLN. */
const GLN_LOCATION = /^https:\/\/id\.gs1\.org\/41[47]\/[0-9]{13}(\/254\/[^/]+)?$/;

/** The canonical form of a location as given at registration: a bare 13-digit GLN becomes /414/. */
export function canonicalLocation(value: string): string {
  const text = value.trim();
  if (/^[0-9]{13}$/.test(text)) return canonicalEpcisIdentifier(`https://id.gs1.org/414/${text}`);
  if (/^urn:epc:id:pgln:/i.test(text)) {
    // codes/ has no pgln scheme: company prefix + party reference make the 12 digits of a GLN.
    const [cp, ref] = text.slice('urn:epc:id:pgln:'.length).split('.');
    if (cp && ref !== undefined && /^[0-9]+$/.test(cp + ref) && (cp + ref).length === 12) return `https://id.gs1.org/417/${cp}${ref}${gs1Check(cp + ref)}`;
  }
  return canonicalEpcisIdentifier(text);
}

function gs1Check(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) sum += Number(digits[digits.length - 1 - i]) * (i % 2 === 0 ? 3 : 1);
  return (10 - (sum % 10)) % 10;
}

/** The GLN-level form of a location: an sgln with an extension also matches its bare GLN. */
export function locationKeys(location: string): string[] {
  const m = /^(https:\/\/id\.gs1\.org\/414\/[0-9]{13})\/254\/.+$/.exec(location);
  return m ? [location, m[1]] : [location];
}

/** Strict check of a registration before it goes into the ledger. */
export function validatePartyInput(input: PartyInput): TraceParty {
  const bad = (message: string, field: string): never => {
    throw new TraceError('TRACE_BAD_REGISTRATION', `party ${input.party}: ${message}`, { party: input.party, field });
  };
  if (!(PARTY_ROLES as readonly string[]).includes(input.role)) bad(`role ${JSON.stringify(input.role)} is not one of ${PARTY_ROLES.join(', ')}`, 'role');
  if (typeof input.name !== 'string' || input.name.trim() === '') bad('name is empty', 'name');
  if (!Array.isArray(input.locations) || input.locations.length === 0) bad('at least one location (GLN) is needed', 'locations');
  const locations = input.locations.map((l) => {
    let canonical: string;
    try {
      canonical = canonicalLocation(l);
    } catch (err) {
      return bad(`location ${JSON.stringify(l)}: ${(err as Error).message}`, 'locations');
    }
    if (!GLN_LOCATION.test(canonical)) bad(`location ${JSON.stringify(l)} is not a GLN`, 'locations');
    return canonical;
  });
  const prefixes = input.prefixes ?? [];
  for (const p of prefixes) if (!DIGITS.test(p)) bad(`prefix ${JSON.stringify(p)} is not 4 to 14 digits`, 'prefixes');
  const cnPrefixes = input.cnPrefixes ?? [];
  for (const p of cnPrefixes) if (!CN_DIGITS.test(p)) bad(`CN prefix ${JSON.stringify(p)} is not up to 7 digits starting with 8`, 'cnPrefixes');
  return { party: input.party, role: input.role as PartyRole, name: input.name.trim(), locations: [...new Set(locations)], prefixes: [...new Set(prefixes)], cnPrefixes: [...new Set(cnPrefixes)] };
}

/** The party_registration payload for a trace party (ledger adds `party`). */
export function partyPayload(party: TraceParty): JsonObject {
  return { role: party.role, name: party.name, locations: party.locations, prefixes: party.prefixes, cnPrefixes: party.cnPrefixes };
}

/** Reads a party_registration payload as the projections do: never throws. */
export function partyFromPayload(payload: JsonObject): TraceParty {
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const role = typeof payload.role === 'string' && (PARTY_ROLES as readonly string[]).includes(payload.role) ? (payload.role as PartyRole) : 'other';
  const party = String(payload.party);
  const locations: string[] = [];
  for (const l of strings(payload.locations)) {
    try {
      const canonical = canonicalLocation(l);
      if (GLN_LOCATION.test(canonical)) locations.push(canonical);
    } catch {
      // An unreadable location grants nothing.
    }
  }
  return {
    party,
    role,
    name: typeof payload.name === 'string' && payload.name !== '' ? payload.name : party,
    locations,
    prefixes: strings(payload.prefixes).filter((p) => DIGITS.test(p)),
    cnPrefixes: strings(payload.cnPrefixes).filter((p) => CN_DIGITS.test(p)),
  };
}

/**
 * Registers a trace party in the ledger (operator-signed party_registration, then its public key
 * when given) and in the projections, in one transaction. Refuses a location another party
 * already holds.
 */
export function registerTraceParty(ledger: Ledger, input: PartyInput, publicKey?: Uint8Array): { position: number; party: TraceParty; keyId?: string } {
  const party = validatePartyInput(input);
  const sqlite = ledger.store.sql;
  const taken = sqlite.prepare('SELECT party FROM trace_party_locations WHERE location = ?').pluck();
  const run = sqlite.transaction(() => {
    for (const location of party.locations) {
      const owner = taken.get(location) as string | undefined;
      if (owner) throw new TraceError('TRACE_BAD_REGISTRATION', `party ${party.party}: location ${location} is already registered to ${owner}`, { party: party.party, location, field: 'locations' });
    }
    const receipt = ledger.registerParty(party.party, partyPayload(party));
    const plan = new Plan(sqlite);
    planPartyRegistration(plan, { ...partyPayload(party), party: party.party }, receipt.position);
    plan.write();
    const keyId = publicKey ? ledger.registerKey(party.party, publicKey).keyId : undefined;
    return { position: receipt.position, party, ...(keyId ? { keyId } : {}) };
  });
  return run.immediate();
}

type KeyFacts = { kind: 'sgtin' | 'lgtin' | 'gtin'; gtin: string } | { kind: 'sscc'; sscc: string } | { kind: 'cn'; resourceCode: string } | { kind: 'other' };

const CANONICAL_GTIN = /^https:\/\/id\.gs1\.org\/01\/([0-9]{14})(?:\/(21|10)\/[^/]+)?$/;
const CANONICAL_SSCC = /^https:\/\/id\.gs1\.org\/00\/([0-9]{18})$/;

/**
 * The key facts of a code. Capture sees canonical identifiers (trace/epcis already checked their
 * digits), so their shape is read directly; anything else goes through describeIdentifier.
 */
function keyFacts(code: string): KeyFacts {
  const g = CANONICAL_GTIN.exec(code);
  if (g) return { kind: g[2] === '21' ? 'sgtin' : g[2] === '10' ? 'lgtin' : 'gtin', gtin: g[1] };
  const s = CANONICAL_SSCC.exec(code);
  if (s) return { kind: 'sscc', sscc: s[1] };
  try {
    const d = describeIdentifier(code);
    if (d.kind === 'sgtin' || d.kind === 'lgtin' || d.kind === 'gtin') return { kind: d.kind, gtin: d.gtin };
    if (d.kind === 'sscc') return { kind: 'sscc', sscc: d.sscc };
    if (d.kind === 'cn') return { kind: 'cn', resourceCode: d.resourceCode };
  } catch {
    // Not a code we know: no product, owned by nobody.
  }
  return { kind: 'other' };
}

/** True when `party` may commission `code` (a canonical identifier): its GTIN, SSCC or CN product code matches a prefix. */
export function ownsProduct(party: Pick<TraceParty, 'prefixes' | 'cnPrefixes'>, code: string): boolean {
  const d = keyFacts(code);
  switch (d.kind) {
    case 'sgtin':
    case 'lgtin':
    case 'gtin':
      // GTIN-14: indicator digit, then company prefix. A 14-digit prefix is a whole GTIN.
      return party.prefixes.some((p) => (p.length === 14 ? d.gtin === p : d.gtin.slice(1).startsWith(p)));
    case 'sscc':
      return party.prefixes.some((p) => d.sscc.slice(1).startsWith(p));
    case 'cn':
      return party.cnPrefixes.some((p) => d.resourceCode.startsWith(p));
    default:
      return false;
  }
}

/** The product key of a code: GTIN-14 or CN resource code; null for SSCCs and other keys. */
export function productOf(code: string): { product: string | null; kind: string } {
  const d = keyFacts(code);
  if (d.kind === 'sgtin' || d.kind === 'lgtin' || d.kind === 'gtin') return { product: d.gtin, kind: d.kind };
  if (d.kind === 'cn') return { product: d.resourceCode, kind: 'cn' };
  return { product: null, kind: d.kind };
}

/** True for logistic units (SSCC): containers that come into being when first packed. */
export function isSscc(code: string): boolean {
  return keyFacts(code).kind === 'sscc';
}
