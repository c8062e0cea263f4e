/**
 * CBV 2.0 standard vocabulary: one canonical form for business steps, dispositions, business
 * transaction types, source/destination types, error reasons, measurement types, sensor
 * exceptions and components.
 *
 * The canonical form is the GS1 Web URI (`https://ref.gs1.org/cbv/BizStep-shipping`,
 * `https://gs1.org/voc/Temperature`): it is what CBV 2.0 names as the term's identity, what the
 * JSON-LD context expands bare strings to, and what the CBV 2.0 event hash uses, so one stored
 * form serves hashing, querying and export. Accepted inputs for the same term: the bare string of
 * EPCIS 2.0 JSON (`shipping`), the EPCIS 1.x URN (`urn:epcglobal:cbv:bizstep:shipping`), the CURIE
 * (`cbv:BizStep-shipping`) and the Web URI itself. Values outside the standard vocabulary (a
 * company's own bizStep URI) pass through unchanged.
 */
import {
  BIZ_STEP_TERMS,
  BIZ_TRANSACTION_TYPE_TERMS,
  DISPOSITION_TERMS,
  ERROR_REASON_TERMS,
  MEASUREMENT_TYPE_TERMS,
  SENSOR_COMPONENT_TERMS,
  SENSOR_EXCEPTION_TERMS,
  SOURCE_DESTINATION_TYPE_TERMS,
} from './vocabulary-terms.ts';

export const CBV_WEB_BASE = 'https://ref.gs1.org/cbv/';
export const GS1_VOC_BASE = 'https://gs1.org/voc/';

/** The prefixes every EPCIS 2.0 document gets from the standard JSON-LD context. */
export const STANDARD_PREFIXES: Readonly<Record<string, string>> = {
  epcis: 'https://ref.gs1.org/epcis/',
  cbv: CBV_WEB_BASE,
  cbvmda: 'urn:epcglobal:cbv:mda:',
  gs1: GS1_VOC_BASE,
  rdfs: 'http://www.w3.org/2000/01/rdf-schema#',
  owl: 'http://www.w3.org/2002/07/owl#',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
  dcterms: 'http://purl.org/dc/terms/',
};

export type VocabularyKind =
  | 'bizStep'
  | 'disposition'
  | 'bizTransactionType'
  | 'sourceDestinationType'
  | 'errorReason'
  | 'measurementType'
  | 'sensorException'
  | 'sensorComponent';

interface VocabularySpec {
  /** Base + term = the Web URI. */
  readonly base: string;
  readonly terms: ReadonlySet<string>;
  /** The EPCIS 1.x URN prefix for the same terms, when there is one. */
  readonly urnPrefix?: string;
}

const VOCABULARIES: Record<VocabularyKind, VocabularySpec> = {
  bizStep: { base: `${CBV_WEB_BASE}BizStep-`, terms: new Set(BIZ_STEP_TERMS), urnPrefix: 'urn:epcglobal:cbv:bizstep:' },
  disposition: { base: `${CBV_WEB_BASE}Disp-`, terms: new Set(DISPOSITION_TERMS), urnPrefix: 'urn:epcglobal:cbv:disp:' },
  bizTransactionType: { base: `${CBV_WEB_BASE}BTT-`, terms: new Set(BIZ_TRANSACTION_TYPE_TERMS), urnPrefix: 'urn:epcglobal:cbv:btt:' },
  sourceDestinationType: { base: `${CBV_WEB_BASE}SDT-`, terms: new Set(SOURCE_DESTINATION_TYPE_TERMS), urnPrefix: 'urn:epcglobal:cbv:sdt:' },
  errorReason: { base: `${CBV_WEB_BASE}ER-`, terms: new Set(ERROR_REASON_TERMS), urnPrefix: 'urn:epcglobal:cbv:er:' },
  measurementType: { base: GS1_VOC_BASE, terms: new Set(MEASUREMENT_TYPE_TERMS) },
  sensorException: { base: GS1_VOC_BASE, terms: new Set(SENSOR_EXCEPTION_TERMS) },
  sensorComponent: { base: `${CBV_WEB_BASE}Comp-`, terms: new Set(SENSOR_COMPONENT_TERMS) },
};

/** EPCIS 1.x CBV URN prefixes and the Web URI prefix each became in CBV 2.0. */
const CBV_URN_TO_WEB: ReadonlyArray<readonly [string, string]> = Object.values(VOCABULARIES)
  .filter((spec) => spec.urnPrefix !== undefined)
  .map((spec) => [spec.urnPrefix!, spec.base] as const);

/**
 * Rewrites an EPCIS 1.x CBV URN (`urn:epcglobal:cbv:disp:in_transit`) to its CBV 2.0 Web URI;
 * any other value is returned unchanged. Applies to all five URN vocabularies at once, because
 * the event hash rewrites such URNs wherever they appear.
 */
export function cbvUrnToWebUri(value: string): string {
  if (!value.startsWith('urn:epcglobal:cbv:')) return value;
  for (const [urn, web] of CBV_URN_TO_WEB) {
    if (value.startsWith(urn)) return web + value.slice(urn.length);
  }
  return value;
}

/**
 * Expands a CURIE (`gs1:Temperature`) with the given prefix table; anything else (a URN, an
 * absolute URI whose scheme is not a declared prefix, a bare word) is returned unchanged.
 */
export function expandCurie(value: string, prefixes: Readonly<Record<string, string>>): string {
  const colon = value.indexOf(':');
  if (colon <= 0) return value;
  const prefix = value.slice(0, colon);
  const base = Object.hasOwn(prefixes, prefix) ? prefixes[prefix] : undefined;
  if (base === undefined) return value;
  const rest = value.slice(colon + 1);
  // "prefix://…" is an absolute IRI, not a CURIE (JSON-LD 1.1 §4.1.5).
  if (rest.startsWith('//')) return value;
  return base + rest;
}

/**
 * The canonical (Web URI) form of a standard vocabulary value of the given kind: bare term, CBV
 * URN, CURIE or Web URI all give the Web URI. Values that are not standard terms are returned
 * unchanged (after CURIE expansion), since EPCIS allows company-specific vocabularies.
 */
export function canonicalVocabularyValue(
  kind: VocabularyKind,
  value: string,
  prefixes: Readonly<Record<string, string>> = STANDARD_PREFIXES,
): string {
  const spec = VOCABULARIES[kind];
  if (spec.terms.has(value)) return spec.base + value;
  if (spec.urnPrefix !== undefined && value.startsWith(spec.urnPrefix)) {
    return spec.base + value.slice(spec.urnPrefix.length);
  }
  return expandCurie(value, prefixes);
}

/**
 * The bare term of a standard vocabulary value (`https://ref.gs1.org/cbv/BizStep-shipping` →
 * `shipping`), or undefined when the value is not a standard term of that kind. Used where rules
 * need the short name and for export in EPCIS 2.0 JSON's preferred bare-string form.
 */
export function vocabularyTerm(kind: VocabularyKind, value: string): string | undefined {
  // The rules ask for the bare word of every event's bizStep and disposition several times.
  const cache = termCache[kind];
  const cached = cache.get(value);
  if (cached !== undefined) return cached === null ? undefined : cached;
  const term = termOf(kind, value);
  // Bounded: company-specific vocabularies may use many values.
  if (cache.size >= TERM_CACHE_SIZE) cache.clear();
  cache.set(value, term ?? null);
  return term;
}

const TERM_CACHE_SIZE = 4096;
/** vocabularyTerm is pure: each kind's answers by value (null: not a standard term). */
const termCache = Object.fromEntries(Object.keys(VOCABULARIES).map((kind) => [kind, new Map<string, string | null>()])) as Record<VocabularyKind, Map<string, string | null>>;

function termOf(kind: VocabularyKind, value: string): string | undefined {
  const spec = VOCABULARIES[kind];
  const canonical = canonicalVocabularyValue(kind, value);
  if (!canonical.startsWith(spec.base)) return undefined;
  const term = canonical.slice(spec.base.length);
  return spec.terms.has(term) ? term : undefined;
}
