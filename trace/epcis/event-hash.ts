/**
 * The CBV 2.0 EPCIS Event Hash ID (CBV 2.0 §8.9): a fingerprint of an event's content that does
 * not depend on its serialisation — JSON key order, list order, URN vs Digital Link identifiers,
 * bare vs URI vocabulary, time zone of the timestamps — and changes when anything significant does.
 *
 * The pre-hash string is built from the event's fields in the canonical property order, each as
 * `key=value` (containers as `key` followed by their children), concatenated with no separators;
 * its SHA-256 is written as `ni:///sha-256;<hex>?ver=CBV2.0` (RFC 6920). Not part of the hash:
 * recordTime (when it was stored), eventID (often the hash itself), errorDeclaration (so that a
 * correction hashes to the event it corrects) and certificationInfo; nor JSON-LD `@context` and
 * `rdfs:comment`. The full rule set and where this implementation had to choose is in
 * docs/epcis.md. Pure and browser-safe (@noble/hashes, no node: imports).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { EpcisError } from './errors.ts';
import { hashIdentifierForm } from './hash-identifiers.ts';
import { normaliseTimestamp } from './timestamps.ts';
import {
  STANDARD_PREFIXES,
  canonicalVocabularyValue,
  cbvUrnToWebUri,
  expandCurie,
  type VocabularyKind,
} from './vocabulary.ts';

export const EVENT_HASH_VERSION = 'CBV2.0';

export const EVENT_TYPES = [
  'ObjectEvent',
  'AggregationEvent',
  'TransactionEvent',
  'TransformationEvent',
  'AssociationEvent',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface EventHashOptions {
  /**
   * The `@context` of the document the event came from. Its prefix declarations name user
   * extension fields (`example:myField` → `{https://ns.example.com/epcis/}myField`); an event's
   * own `@context` is added on top.
   */
  readonly documentContext?: unknown;
  /**
   * Hex SHA-256 of a string's UTF-8 bytes. Default: @noble/hashes (pure JS, browser-safe); a
   * server passes node:crypto's, several times faster on the long pre-hash of a big event.
   */
  readonly sha256Hex?: (text: string) => string;
}

type JsonObject = { readonly [key: string]: unknown };

/** Fields never hashed, at any level. */
const IGNORED_EVERYWHERE = new Set(['@context', 'rdfs:comment', 'comment']);
/** Event fields not hashed (CBV 2.0 §8.9): storage metadata, the ID itself and corrections. */
const IGNORED_EVENT_FIELDS = new Set(['type', 'recordTime', 'eventID', 'errorDeclaration', 'certificationInfo']);

/**
 * Canonical property order. Standard CBV 2.0 order, except that bizTransactionList, sourceList
 * and destinationList appear in lexical order of their names (destination before source): that is
 * what the published reference hashes require (see docs/epcis.md).
 */
const EVENT_FIELD_ORDER = [
  'eventTime',
  'eventTimeZoneOffset',
  'epcList',
  'parentID',
  'inputEPCList',
  'childEPCs',
  'quantityList',
  'childQuantityList',
  'inputQuantityList',
  'outputEPCList',
  'outputQuantityList',
  'action',
  'transformationID',
  'bizStep',
  'disposition',
  'persistentDisposition',
  'readPoint',
  'bizLocation',
  'bizTransactionList',
  'destinationList',
  'sourceList',
  'sensorElementList',
  'ilmd',
] as const;
const STANDARD_EVENT_FIELDS = new Set<string>([...EVENT_FIELD_ORDER, ...IGNORED_EVENT_FIELDS]);

type FieldKind = 'plain' | 'timestamp' | VocabularyKind;

/** A structure's standard fields in canonical order, and the same names as a set. */
interface FieldOrder {
  readonly fields: ReadonlyArray<readonly [string, FieldKind]>;
  readonly known: ReadonlySet<string>;
}

function fieldOrder(fields: ReadonlyArray<readonly [string, FieldKind]>): FieldOrder {
  return { fields, known: new Set(fields.map(([field]) => field)) };
}

const SENSOR_METADATA_ORDER = fieldOrder([
  ['time', 'timestamp'],
  ['startTime', 'timestamp'],
  ['endTime', 'timestamp'],
  ['deviceID', 'plain'],
  ['deviceMetadata', 'plain'],
  ['rawData', 'plain'],
  ['dataProcessingMethod', 'plain'],
  ['bizRules', 'plain'],
]);

const SENSOR_REPORT_ORDER = fieldOrder([
  ['type', 'measurementType'],
  ['exception', 'sensorException'],
  ['deviceID', 'plain'],
  ['deviceMetadata', 'plain'],
  ['rawData', 'plain'],
  ['dataProcessingMethod', 'plain'],
  ['time', 'timestamp'],
  ['microorganism', 'plain'],
  ['chemicalSubstance', 'plain'],
  ['value', 'plain'],
  ['component', 'sensorComponent'],
  ['stringValue', 'plain'],
  ['booleanValue', 'plain'],
  ['hexBinaryValue', 'plain'],
  ['uriValue', 'plain'],
  ['minValue', 'plain'],
  ['maxValue', 'plain'],
  ['meanValue', 'plain'],
  ['sDev', 'plain'],
  ['percRank', 'plain'],
  ['percValue', 'plain'],
  ['uom', 'plain'],
  ['coordinateReferenceSystem', 'plain'],
]);

const QUANTITY_ELEMENT_ORDER = fieldOrder([
  ['epcClass', 'plain'],
  ['quantity', 'plain'],
  ['uom', 'plain'],
]);

const LOCATION_ORDER = fieldOrder([['id', 'plain']]);
const BIZ_TRANSACTION_ORDER = fieldOrder([['type', 'bizTransactionType'], ['bizTransaction', 'plain']]);
const SOURCE_ORDER = fieldOrder([['type', 'sourceDestinationType'], ['source', 'plain']]);
const DESTINATION_ORDER = fieldOrder([['type', 'sourceDestinationType'], ['destination', 'plain']]);
const PERSISTENT_DISPOSITION_FIELDS: ReadonlySet<string> = new Set(['set', 'unset']);
const SENSOR_ELEMENT_FIELDS: ReadonlySet<string> = new Set(['sensorMetadata', 'sensorReport']);
const NO_FIELDS: ReadonlySet<string> = new Set();

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Orders strings by Unicode code point (= UTF-8 byte order), as the algorithm requires; plain
 * `<` compares UTF-16 code units, which puts U+10000… before U+E000….
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xSurrogate = x >= 0xd800 && x <= 0xdfff;
    const ySurrogate = y >= 0xd800 && y <= 0xdfff;
    if (xSurrogate !== ySurrogate) return xSurrogate ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * A number as the hash writes it: integers in full (`10.0` → `10`, `1e21` → all 22 digits),
 * other values in shortest round-trip form, with an exponent (`1e-05`) below 1e-4 — the way the
 * GS1 reference implementation prints them, so both give the same pre-hash.
 */
export function formatHashNumber(value: number): string {
  if (Number.isInteger(value)) return BigInt(value).toString();
  if (Math.abs(value) >= 1e-4) return String(value);
  const [mantissa, exponent] = value.toExponential().split('e');
  const sign = exponent.startsWith('-') ? '-' : '+';
  return `${mantissa}e${sign}${exponent.replace(/^[+-]/, '').padStart(2, '0')}`;
}

const SURROGATE = /[\uD800-\uDFFF]/;

function sorted(parts: string[]): string[] {
  // Without surrogates, UTF-16 code unit order is code point order: the native sort gives the same.
  for (const p of parts) if (SURROGATE.test(p)) return parts.sort(compareCodePoints);
  return parts.sort();
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Prefix declarations (`{"example": "https://ns.example.com/epcis/"}`) from one or more JSON-LD
 * `@context` values, on top of the standard EPCIS 2.0 prefixes. Remote contexts (URL strings)
 * contribute nothing here: the standard one's prefixes are built in.
 */
export function prefixesFromContext(...contexts: unknown[]): Record<string, string> {
  const prefixes: Record<string, string> = { ...STANDARD_PREFIXES };
  const visit = (context: unknown): void => {
    if (Array.isArray(context)) context.forEach(visit);
    else if (isObject(context)) {
      for (const [key, value] of Object.entries(context)) {
        if (key.startsWith('@')) continue;
        if (typeof value === 'string' && value.includes(':')) prefixes[key] = value;
        else if (isObject(value) && typeof value['@id'] === 'string' && value['@id'].includes(':')) {
          prefixes[key] = value['@id'];
        }
      }
    }
  };
  contexts.forEach(visit);
  return prefixes;
}

class PreHashBuilder {
  constructor(private readonly prefixes: Readonly<Record<string, string>>) {}

  /** Canonical text of one value, or undefined when there is nothing to hash. */
  leaf(value: unknown, kind: FieldKind, path: string): string | undefined {
    if (value === null || value === undefined) return undefined;
    if (typeof value === 'boolean') return String(value);
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new EpcisError('EPCIS_BAD_FIELD', `${path}: ${value} is not a number`, { path, value });
      return formatHashNumber(value);
    }
    if (typeof value !== 'string') {
      throw new EpcisError('EPCIS_BAD_FIELD', `${path}: expected a string, number or boolean`, { path, value });
    }
    let text = value.trim();
    if (text === '') return undefined;
    // An http(s) URI (most identifiers): no CBV URN, no CURIE ("https://…" is absolute), no number.
    if (kind === 'plain' && (text.startsWith('https://') || text.startsWith('http://'))) return hashIdentifierForm(text);
    if (kind === 'timestamp') return normaliseTimestamp(text, path);
    if (kind !== 'plain') text = canonicalVocabularyValue(kind, text, this.prefixes);
    text = expandCurie(cbvUrnToWebUri(text), this.prefixes);
    // "Quantitative values SHALL NOT have trailing zeros": 1.0 → 1, 0.50 → 0.5.
    if (DECIMAL.test(text) && Number.isFinite(Number(text))) text = formatHashNumber(Number(text));
    return hashIdentifierForm(text);
  }

  keyValue(key: string, value: unknown, kind: FieldKind, path: string): string {
    const text = this.leaf(value, kind, path);
    return text === undefined ? '' : `${key}=${text}`;
  }

  /** `{namespace}local` for a prefixed extension name; other names as written. */
  extensionName(key: string): string {
    const colon = key.indexOf(':');
    if (colon > 0) {
      const prefix = key.slice(0, colon);
      if (Object.hasOwn(this.prefixes, prefix)) return `{${this.prefixes[prefix]}}${key.slice(colon + 1)}`;
    }
    return key;
  }

  /** One extension field as pre-hash parts (an array gives one part per element). */
  extension(key: string, value: unknown, path: string): string[] {
    const name = this.extensionName(key);
    if (Array.isArray(value)) return value.flatMap((item, i) => this.extension(key, item, `${path}/${i}`));
    if (isObject(value)) return [name + this.extensionsOf(value, NO_FIELDS, path).join('')];
    if (value === null) return [];
    const text = this.leaf(value, 'plain', path);
    return [text === undefined ? name : `${name}=${text}`];
  }

  /** Every field of `object` not in `known`, rendered as extensions and sorted. */
  extensionsOf(object: JsonObject, known: ReadonlySet<string>, path: string): string[] {
    const parts: string[] = [];
    for (const [key, value] of Object.entries(object)) {
      if (known.has(key) || IGNORED_EVERYWHERE.has(key)) continue;
      parts.push(...this.extension(key, value, `${path}/${escapePointer(key)}`));
    }
    return sorted(parts);
  }

  /** A standard structure: its fields in the given order, then its extensions sorted. */
  structure(name: string, object: unknown, order: FieldOrder, path: string): string {
    if (!isObject(object)) throw new EpcisError('EPCIS_BAD_FIELD', `${path}: expected an object`, { path, value: object });
    let body = '';
    for (const [field, kind] of order.fields) {
      if (object[field] !== undefined) body += this.keyValue(field, object[field], kind, `${path}/${field}`);
    }
    body += this.extensionsOf(object, order.known, path).join('');
    return body === '' ? '' : name + body;
  }

  list(name: string, value: unknown, path: string, item: (element: unknown, path: string) => string): string {
    if (value === undefined || value === null) return '';
    if (!Array.isArray(value)) throw new EpcisError('EPCIS_BAD_FIELD', `${path}: expected an array`, { path, value });
    const parts = sorted(value.map((element, i) => item(element, `${path}/${i}`)).filter((part) => part !== ''));
    return parts.length === 0 ? '' : name + parts.join('');
  }

  /** `list` of `epc=…` parts, without a path string or closure per element (a case names hundreds). */
  epcList(name: string, value: unknown, path: string): string {
    if (!Array.isArray(value)) throw new EpcisError('EPCIS_BAD_FIELD', `${path}: expected an array`, { path, value });
    const parts: string[] = [];
    for (let i = 0; i < value.length; i++) {
      const element: unknown = value[i];
      let part: string;
      if (typeof element === 'string') {
        const text = element.trim();
        // As leaf does for an http(s) URI; anything else takes leaf itself.
        part = text === '' ? '' : text.startsWith('https://') || text.startsWith('http://') ? `epc=${hashIdentifierForm(text)}` : this.keyValue('epc', element, 'plain', `${path}/${i}`);
      } else {
        part = this.keyValue('epc', element, 'plain', `${path}/${i}`);
      }
      if (part !== '') parts.push(part);
    }
    return parts.length === 0 ? '' : name + sorted(parts).join('');
  }

  field(event: JsonObject, field: (typeof EVENT_FIELD_ORDER)[number]): string {
    const value = event[field];
    if (value === undefined || value === null) return '';
    const path = `/${field}`;
    switch (field) {
      case 'eventTime':
        return this.keyValue(field, value, 'timestamp', path);
      case 'eventTimeZoneOffset':
      case 'parentID':
      case 'action':
      case 'transformationID':
        return this.keyValue(field, value, 'plain', path);
      case 'bizStep':
        return this.keyValue(field, value, 'bizStep', path);
      case 'disposition':
        return this.keyValue(field, value, 'disposition', path);
      case 'epcList':
      case 'inputEPCList':
      case 'childEPCs':
      case 'outputEPCList':
        return this.epcList(field, value, path);
      case 'quantityList':
      case 'childQuantityList':
      case 'inputQuantityList':
      case 'outputQuantityList':
        return this.list(field, value, path, (q, p) => this.structure('quantityElement', q, QUANTITY_ELEMENT_ORDER, p));
      case 'persistentDisposition': {
        if (!isObject(value)) throw new EpcisError('EPCIS_BAD_FIELD', `${path}: expected an object`, { path, value });
        const body =
          this.list('', value.set, `${path}/set`, (d, p) => this.keyValue('set', d, 'disposition', p)) +
          this.list('', value.unset, `${path}/unset`, (d, p) => this.keyValue('unset', d, 'disposition', p)) +
          this.extensionsOf(value, PERSISTENT_DISPOSITION_FIELDS, path).join('');
        return body === '' ? '' : field + body;
      }
      case 'readPoint':
      case 'bizLocation':
        return this.structure(field, value, LOCATION_ORDER, path);
      case 'bizTransactionList':
        return this.list(field, value, path, (bt, p) =>
          this.structure('', bt, BIZ_TRANSACTION_ORDER, p),
        );
      case 'sourceList':
        return this.list(field, value, path, (s, p) =>
          this.structure('', s, SOURCE_ORDER, p),
        );
      case 'destinationList':
        return this.list(field, value, path, (d, p) =>
          this.structure('', d, DESTINATION_ORDER, p),
        );
      case 'sensorElementList':
        return this.list(field, value, path, (element, p) => this.sensorElement(element, p));
      case 'ilmd': {
        if (!isObject(value)) throw new EpcisError('EPCIS_BAD_FIELD', `${path}: expected an object`, { path, value });
        const body = this.extensionsOf(value, NO_FIELDS, path).join('');
        return body === '' ? '' : field + body;
      }
    }
  }

  sensorElement(element: unknown, path: string): string {
    if (!isObject(element)) throw new EpcisError('EPCIS_BAD_FIELD', `${path}: expected an object`, { path, value: element });
    let body = '';
    if (element.sensorMetadata !== undefined && element.sensorMetadata !== null) {
      body += this.structure('sensorMetadata', element.sensorMetadata, SENSOR_METADATA_ORDER, `${path}/sensorMetadata`);
    }
    body += this.list('', element.sensorReport, `${path}/sensorReport`, (report, p) =>
      this.structure('sensorReport', report, SENSOR_REPORT_ORDER, p),
    );
    body += this.extensionsOf(element, SENSOR_ELEMENT_FIELDS, path).join('');
    return body === '' ? '' : 'sensorElement' + body;
  }
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Checks the few things the hash itself needs; full validation is validate.ts's job. */
function requireEvent(event: unknown): asserts event is JsonObject & { type: EventType } {
  if (!isObject(event)) throw new EpcisError('EPCIS_NOT_AN_EVENT', 'an EPCIS event must be a JSON object', { value: event });
  if (typeof event.type !== 'string' || !(EVENT_TYPES as readonly string[]).includes(event.type)) {
    throw new EpcisError('EPCIS_UNKNOWN_EVENT_TYPE', `/type: "${String(event.type)}" is not an EPCIS 2.0 event type (${EVENT_TYPES.join(', ')})`, {
      path: '/type',
      value: event.type,
    });
  }
  for (const field of ['eventTime', 'eventTimeZoneOffset'] as const) {
    if (event[field] === undefined) {
      throw new EpcisError('EPCIS_MISSING_FIELD', `/${field}: required in every EPCIS event`, { path: `/${field}` });
    }
  }
}

// Events of one document share its @context: build its prefix table once.
const prefixCache = new WeakMap<object, Readonly<Record<string, string>>>();
const STANDARD_ONLY = prefixesFromContext();

function prefixesFor(documentContext: unknown, eventContext: unknown): Readonly<Record<string, string>> {
  if (eventContext !== undefined) return prefixesFromContext(documentContext, eventContext);
  if (documentContext === undefined || typeof documentContext === 'string') return STANDARD_ONLY;
  if (typeof documentContext !== 'object' || documentContext === null) return prefixesFromContext(documentContext);
  let prefixes = prefixCache.get(documentContext);
  if (prefixes === undefined) {
    prefixes = prefixesFromContext(documentContext);
    prefixCache.set(documentContext, prefixes);
  }
  return prefixes;
}

/** The CBV 2.0 pre-hash string of one event (the text that is hashed). */
export function eventPreHash(event: unknown, options: EventHashOptions = {}): string {
  requireEvent(event);
  const builder = new PreHashBuilder(prefixesFor(options.documentContext, event['@context']));
  let text = `eventType=${event.type}`;
  for (const field of EVENT_FIELD_ORDER) text += builder.field(event, field);
  text += builder.extensionsOf(event, STANDARD_EVENT_FIELDS, '').join('');
  return text;
}

/** `ni:///sha-256;<hex>?ver=CBV2.0` for a pre-hash string. */
export function hashIdFromPreHash(preHash: string, sha256Hex?: (text: string) => string): string {
  const hex = sha256Hex ? sha256Hex(preHash) : bytesToHex(sha256(utf8ToBytes(preHash)));
  return `ni:///sha-256;${hex}?ver=${EVENT_HASH_VERSION}`;
}

/** The CBV 2.0 Event Hash ID of one event. */
export function eventHashId(event: unknown, options: EventHashOptions = {}): string {
  return hashIdFromPreHash(eventPreHash(event, options), options.sha256Hex);
}
