/**
 * EPCIS 2.0 documents → typed events in one normalised form, ready for the trace rules:
 *
 * - identifiers (epcList, parentID, childEPCs, input/outputEPCList, quantity epcClass, readPoint,
 *   bizLocation, source/destination, GS1-keyed business transactions) in the project's canonical
 *   form (DESIGN.md §3, codes/identifier.ts): GS1 keys as Digital Link on https://id.gs1.org, CN
 *   codes as urn:cn:nmpa:drugcode:…, whether the document wrote EPC URNs or Digital Links;
 *   URIs that carry no GS1 key (geo:, urn:uuid:, a company's own URLs) are kept as written;
 * - CBV vocabulary (bizStep, disposition, business transaction and source/destination types,
 *   error reasons, sensor types) as GS1 Web URIs (vocabulary.ts explains the choice);
 * - timestamps in UTC with millisecond precision;
 * - user extensions and ILMD keyed by full IRI (`example:lot` → `https://ns.example.com/epcis/lot`),
 *   whatever prefix the document's `@context` chose;
 * - each event's CBV 2.0 Event Hash ID, computed from the event as written (event-hash.ts).
 */
import { canonicalIdentifier, isIdentifierInputError } from '../../codes/identifier.ts';
import { EpcisError } from './errors.ts';
import { eventHashId, EVENT_TYPES, prefixesFromContext, type EventType } from './event-hash.ts';
import { constrainedDigitalLink, epcUriToDigitalLink } from './hash-identifiers.ts';
import { normaliseTimestamp } from './timestamps.ts';
import { canonicalVocabularyValue, expandCurie, type VocabularyKind } from './vocabulary.ts';
import { validateEpcisDocument, type EpcisDocumentJson } from './validate.ts';

export type { EventType } from './event-hash.ts';

export type EventAction = 'ADD' | 'OBSERVE' | 'DELETE';

export interface QuantityElement {
  /** Canonical class identifier: `https://id.gs1.org/01/{gtin}/10/{lot}` or `…/01/{gtin}`. */
  readonly epcClass: string;
  readonly quantity?: number;
  readonly uom?: string;
}

export interface BizTransaction {
  /** CBV business transaction type as a Web URI (`https://ref.gs1.org/cbv/BTT-po`), if given. */
  readonly type?: string;
  readonly bizTransaction: string;
}

export interface SourceOrDestination {
  /** CBV source/destination type as a Web URI (`https://ref.gs1.org/cbv/SDT-owning_party`). */
  readonly type: string;
  /** Canonical identifier of the party or location. */
  readonly id: string;
}

export interface PersistentDisposition {
  readonly set: readonly string[];
  readonly unset: readonly string[];
}

export interface SensorMetadata {
  readonly time?: string;
  readonly startTime?: string;
  readonly endTime?: string;
  readonly deviceID?: string;
  readonly deviceMetadata?: string;
  readonly rawData?: string;
  readonly dataProcessingMethod?: string;
  readonly bizRules?: string;
  readonly extensions: Readonly<Record<string, unknown>>;
}

export interface SensorReport {
  /** Measurement type as a Web URI (`https://gs1.org/voc/Temperature`). */
  readonly type?: string;
  readonly exception?: string;
  readonly deviceID?: string;
  readonly deviceMetadata?: string;
  readonly rawData?: string;
  readonly dataProcessingMethod?: string;
  readonly time?: string;
  readonly microorganism?: string;
  readonly chemicalSubstance?: string;
  readonly value?: number;
  readonly component?: string;
  readonly stringValue?: string;
  readonly booleanValue?: boolean;
  readonly hexBinaryValue?: string;
  readonly uriValue?: string;
  readonly minValue?: number;
  readonly maxValue?: number;
  readonly meanValue?: number;
  readonly sDev?: number;
  readonly percRank?: number;
  readonly percValue?: number;
  readonly uom?: string;
  readonly coordinateReferenceSystem?: string;
  readonly extensions: Readonly<Record<string, unknown>>;
}

export interface SensorElement {
  readonly sensorMetadata?: SensorMetadata;
  readonly sensorReport: readonly SensorReport[];
  readonly extensions: Readonly<Record<string, unknown>>;
}

export interface ErrorDeclaration {
  readonly declarationTime: string;
  /** CBV error reason as a Web URI (`https://ref.gs1.org/cbv/ER-incorrect_data`), if given. */
  readonly reason?: string;
  readonly correctiveEventIDs: readonly string[];
  readonly extensions: Readonly<Record<string, unknown>>;
}

/** Instance/lot master data. Keys are full IRIs; the two a drug chain needs are lifted out. */
export interface Ilmd {
  /** CBV master data lotNumber (`cbvmda:lotNumber`), when present. */
  readonly lotNumber?: string;
  /** CBV master data itemExpirationDate (`cbvmda:itemExpirationDate`, YYYY-MM-DD), when present. */
  readonly itemExpirationDate?: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

interface EventCommon {
  readonly type: EventType;
  /** Index of the event in the document's event list. */
  readonly index: number;
  /** CBV 2.0 Event Hash ID of the event as written: `ni:///sha-256;…?ver=CBV2.0`. */
  readonly hashId: string;
  /** UTC, millisecond precision: `2020-03-04T10:00:30.000Z`. */
  readonly eventTime: string;
  readonly eventTimeZoneOffset: string;
  readonly recordTime?: string;
  readonly eventID?: string;
  readonly certificationInfo: readonly string[];
  readonly errorDeclaration?: ErrorDeclaration;
  readonly bizStep?: string;
  readonly disposition?: string;
  readonly persistentDisposition?: PersistentDisposition;
  readonly readPoint?: string;
  readonly bizLocation?: string;
  readonly bizTransactionList: readonly BizTransaction[];
  readonly sourceList: readonly SourceOrDestination[];
  readonly destinationList: readonly SourceOrDestination[];
  readonly sensorElementList: readonly SensorElement[];
  /** User extension fields at event level, keyed by full IRI. */
  readonly extensions: Readonly<Record<string, unknown>>;
  /** The event exactly as it was in the document (for storage and export). */
  readonly source: Readonly<Record<string, unknown>>;
}

export interface ObjectEvent extends EventCommon {
  readonly type: 'ObjectEvent';
  readonly action: EventAction;
  readonly epcList: readonly string[];
  readonly quantityList: readonly QuantityElement[];
  readonly ilmd?: Ilmd;
}

export interface AggregationEvent extends EventCommon {
  readonly type: 'AggregationEvent';
  readonly action: EventAction;
  readonly parentID?: string;
  readonly childEPCs: readonly string[];
  readonly childQuantityList: readonly QuantityElement[];
}

export interface TransactionEvent extends EventCommon {
  readonly type: 'TransactionEvent';
  readonly action: EventAction;
  readonly parentID?: string;
  readonly epcList: readonly string[];
  readonly quantityList: readonly QuantityElement[];
}

export interface TransformationEvent extends EventCommon {
  readonly type: 'TransformationEvent';
  readonly transformationID?: string;
  readonly inputEPCList: readonly string[];
  readonly inputQuantityList: readonly QuantityElement[];
  readonly outputEPCList: readonly string[];
  readonly outputQuantityList: readonly QuantityElement[];
  readonly ilmd?: Ilmd;
}

export interface AssociationEvent extends EventCommon {
  readonly type: 'AssociationEvent';
  readonly action: EventAction;
  readonly parentID?: string;
  readonly childEPCs: readonly string[];
  readonly childQuantityList: readonly QuantityElement[];
}

export type EpcisEvent = ObjectEvent | AggregationEvent | TransactionEvent | TransformationEvent | AssociationEvent;

export interface ExtractOptions {
  /**
   * Validate the document against the EPCIS 2.0 JSON Schema first (default true). Pass false only
   * for a document validateEpcisDocument has already accepted.
   */
  readonly validate?: boolean;
  /** Hex SHA-256 for the event hashes (EventHashOptions.sha256Hex); default @noble/hashes. */
  readonly sha256Hex?: (text: string) => string;
}

export interface ExtractedDocument {
  readonly type: EpcisDocumentJson['type'];
  readonly events: readonly EpcisEvent[];
}

type Json = Readonly<Record<string, unknown>>;

const GS1_EPC_SCHEMES = new Set([
  'sgtin', 'sscc', 'sgln', 'grai', 'giai', 'gsrn', 'gsrnp', 'gdti', 'cpi', 'sgcn', 'ginc', 'gsin', 'itip', 'upui', 'pgln', 'lgtin',
]);

const CBV_MDA = 'urn:epcglobal:cbv:mda:';

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function bad(code: 'EPCIS_BAD_FIELD' | 'EPCIS_MISSING_FIELD' | 'EPCIS_BAD_IDENTIFIER', path: string, message: string, value?: unknown): EpcisError {
  return new EpcisError(code, `${path}: ${message}`, { path, value });
}

/**
 * The canonical identifier of a value in an identifier field. GS1 keys (EPC URN of a GS1 scheme,
 * EPC class or pattern URI, Digital Link on any host) and CN codes go through codes/identifier.ts;
 * a GS1-looking value that is malformed (wrong digit count, bad check digit) is refused with
 * EPCIS_BAD_IDENTIFIER, naming the path and the reason. Other URIs are kept as written.
 */
export function canonicalEpcisIdentifier(value: string, path = ''): string {
  let canonical = canonicalForms.get(value);
  if (canonical === undefined) {
    canonical = canonicalFormOf(value, path);
    // Bounded: codes recur across documents (commission, pack, ship…), but memory must not grow with the ledger.
    if (canonicalForms.size >= CANONICAL_CACHE_SIZE) canonicalForms.clear();
    canonicalForms.set(value, canonical);
  }
  return canonical;
}

const CANONICAL_CACHE_SIZE = 65_536;
/** Successful canonicalisations only (refusals name their path, so they are never cached). */
const canonicalForms = new Map<string, string>();

function canonicalFormOf(value: string, path: string): string {
  const text = value.trim();
  if (text === '') throw bad('EPCIS_BAD_IDENTIFIER', path, 'empty identifier', value);
  const viaCodes = (input: string): string => {
    try {
      return canonicalIdentifier(input);
    } catch (error) {
      if (!isIdentifierInputError(error)) throw error;
      throw new EpcisError('EPCIS_BAD_IDENTIFIER', `${path}: ${JSON.stringify(text)} is not a valid GS1 identifier: ${(error as Error).message}`, {
        path,
        value: text,
      });
    }
  };
  const epc = /^urn:epc:(id|class|idpat):([a-z]+):/i.exec(text);
  if (epc) {
    const [, kind, scheme] = epc;
    if ((kind === 'id' && ['sgtin', 'sscc', 'sgln'].includes(scheme)) || (kind === 'class' && scheme === 'lgtin')) return viaCodes(text);
    const digitalLink = epcUriToDigitalLink(text);
    if (digitalLink !== undefined) return viaCodes(digitalLink);
    if (kind !== 'idpat' && GS1_EPC_SCHEMES.has(scheme)) {
      throw bad('EPCIS_BAD_IDENTIFIER', path, `${JSON.stringify(text)} is not a well-formed EPC ${scheme} URI`, text);
    }
    return text; // a non-GS1 EPC scheme (gid, usdod, adi, bic, imovn) or a wider pattern
  }
  if (/^urn:cn:nmpa:drugcode:/i.test(text)) return viaCodes(text);
  if (/^https?:\/\//i.test(text) && constrainedDigitalLink(text) !== undefined) return viaCodes(text);
  return text;
}

/** What the events of one document share: its prefix table and identifiers already resolved. */
interface DocumentScope {
  readonly context: unknown;
  readonly prefixes: Readonly<Record<string, string>>;
  /** Canonical form of each identifier text seen so far (locations and parties repeat). */
  readonly identifiers: Map<string, string>;
  readonly sha256Hex?: (text: string) => string;
}

function documentScope(context: unknown, sha256Hex?: (text: string) => string): DocumentScope {
  return { context, prefixes: prefixesFromContext(context), identifiers: new Map(), sha256Hex };
}

class EventReader {
  readonly prefixes: Readonly<Record<string, string>>;

  constructor(
    private readonly event: Json,
    private readonly base: string,
    private readonly scope: DocumentScope,
  ) {
    this.prefixes = event['@context'] === undefined ? scope.prefixes : prefixesFromContext(scope.context, event['@context']);
  }

  /** The JSON pointer of a field (and element) of this event. Called for every field, so no regex unless a name needs escaping. */
  path(field: string, index?: number): string {
    const segment = field.includes('~') || field.includes('/') ? field.replace(/~/g, '~0').replace(/\//g, '~1') : field;
    return index === undefined ? `${this.base}/${segment}` : `${this.base}/${segment}/${index}`;
  }

  string(value: unknown, path: string): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw bad('EPCIS_BAD_FIELD', path, 'expected a string', value);
    const text = value.trim();
    return text === '' ? undefined : text;
  }

  number(value: unknown, path: string): number | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw bad('EPCIS_BAD_FIELD', path, 'expected a number', value);
    return value;
  }

  timestamp(value: unknown, path: string): string | undefined {
    const text = this.string(value, path);
    return text === undefined ? undefined : normaliseTimestamp(text, path);
  }

  vocabulary(kind: VocabularyKind, value: unknown, path: string): string | undefined {
    const text = this.string(value, path);
    return text === undefined ? undefined : canonicalVocabularyValue(kind, text, this.prefixes);
  }

  uri(value: unknown, path: string): string | undefined {
    const text = this.string(value, path);
    return text === undefined ? undefined : expandCurie(text, this.prefixes);
  }

  identifier(value: unknown, path: string): string | undefined {
    const text = this.string(value, path);
    if (text === undefined) return undefined;
    let canonical = this.scope.identifiers.get(text);
    if (canonical === undefined) {
      canonical = canonicalEpcisIdentifier(text, path);
      this.scope.identifiers.set(text, canonical);
    }
    return canonical;
  }

  array(value: unknown, path: string): readonly unknown[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) throw bad('EPCIS_BAD_FIELD', path, 'expected an array', value);
    return value;
  }

  object(value: unknown, path: string): Json | undefined {
    if (value === undefined || value === null) return undefined;
    if (!isObject(value)) throw bad('EPCIS_BAD_FIELD', path, 'expected an object', value);
    return value;
  }

  identifierList(field: string): string[] {
    const path = this.path(field);
    return this.array(this.event[field], path).map((v, i) => this.identifier(v, `${path}/${i}`) ?? '').filter((v) => v !== '');
  }

  quantityList(field: string): QuantityElement[] {
    const path = this.path(field);
    return this.array(this.event[field], path).map((element, i) => {
      const p = `${path}/${i}`;
      const q = this.object(element, p) ?? {};
      const epcClass = this.identifier(q.epcClass, `${p}/epcClass`);
      if (epcClass === undefined) throw bad('EPCIS_MISSING_FIELD', `${p}/epcClass`, 'every quantity element names its epcClass');
      const quantity = this.number(q.quantity, `${p}/quantity`);
      const uom = this.string(q.uom, `${p}/uom`);
      return { epcClass, ...(quantity !== undefined && { quantity }), ...(uom !== undefined && { uom }) };
    });
  }

  /** `prefix:local` keys as full IRIs, recursively; other keys as written. */
  expandKeys(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.expandKeys(v));
    if (!isObject(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (key === '@context') continue;
      out[expandCurie(key, this.prefixes)] = this.expandKeys(v);
    }
    return out;
  }

  extensionsOf(object: Json, known: readonly string[] | ReadonlySet<string>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const set = known instanceof Set ? (known as ReadonlySet<string>) : undefined;
    for (const [key, value] of Object.entries(object)) {
      if ((set ? set.has(key) : (known as readonly string[]).includes(key)) || key === '@context') continue;
      out[expandCurie(key, this.prefixes)] = this.expandKeys(value);
    }
    return out;
  }

  location(field: 'readPoint' | 'bizLocation'): string | undefined {
    const path = this.path(field);
    const location = this.object(this.event[field], path);
    if (location === undefined) return undefined;
    const id = this.identifier(location.id, `${path}/id`);
    if (id === undefined) throw bad('EPCIS_MISSING_FIELD', `${path}/id`, `${field} needs an id`);
    return id;
  }

  sourcesOrDestinations(field: 'sourceList' | 'destinationList', idKey: 'source' | 'destination'): SourceOrDestination[] {
    const path = this.path(field);
    return this.array(this.event[field], path).map((element, i) => {
      const p = `${path}/${i}`;
      const entry = this.object(element, p) ?? {};
      const type = this.vocabulary('sourceDestinationType', entry.type, `${p}/type`);
      const id = this.identifier(entry[idKey], `${p}/${idKey}`);
      if (type === undefined) throw bad('EPCIS_MISSING_FIELD', `${p}/type`, `every ${idKey} has a type`);
      if (id === undefined) throw bad('EPCIS_MISSING_FIELD', `${p}/${idKey}`, `every ${idKey} names a party or location`);
      return { type, id };
    });
  }

  bizTransactions(): BizTransaction[] {
    const path = this.path('bizTransactionList');
    return this.array(this.event.bizTransactionList, path).map((element, i) => {
      const p = `${path}/${i}`;
      const entry = this.object(element, p) ?? {};
      const type = this.vocabulary('bizTransactionType', entry.type, `${p}/type`);
      const id = this.identifier(entry.bizTransaction, `${p}/bizTransaction`);
      if (id === undefined) throw bad('EPCIS_MISSING_FIELD', `${p}/bizTransaction`, 'every business transaction has an identifier');
      return { ...(type !== undefined && { type }), bizTransaction: id };
    });
  }

  persistentDisposition(): PersistentDisposition | undefined {
    const path = this.path('persistentDisposition');
    const pd = this.object(this.event.persistentDisposition, path);
    if (pd === undefined) return undefined;
    const list = (key: 'set' | 'unset') =>
      this.array(pd[key], `${path}/${key}`).map((v, i) => this.vocabulary('disposition', v, `${path}/${key}/${i}`) ?? '').filter(Boolean);
    return { set: list('set'), unset: list('unset') };
  }

  errorDeclaration(): ErrorDeclaration | undefined {
    const path = this.path('errorDeclaration');
    const ed = this.object(this.event.errorDeclaration, path);
    if (ed === undefined) return undefined;
    const declarationTime = this.timestamp(ed.declarationTime, `${path}/declarationTime`);
    if (declarationTime === undefined) throw bad('EPCIS_MISSING_FIELD', `${path}/declarationTime`, 'an error declaration says when it was made');
    const reason = this.vocabulary('errorReason', ed.reason, `${path}/reason`);
    const correctiveEventIDs = this.array(ed.correctiveEventIDs, `${path}/correctiveEventIDs`)
      .map((v, i) => this.string(v, `${path}/correctiveEventIDs/${i}`) ?? '')
      .filter(Boolean);
    return {
      declarationTime,
      ...(reason !== undefined && { reason }),
      correctiveEventIDs,
      extensions: this.extensionsOf(ed, ['declarationTime', 'reason', 'correctiveEventIDs']),
    };
  }

  sensorElements(): SensorElement[] {
    const path = this.path('sensorElementList');
    return this.array(this.event.sensorElementList, path).map((element, i) => {
      const p = `${path}/${i}`;
      const se = this.object(element, p) ?? {};
      const md = this.object(se.sensorMetadata, `${p}/sensorMetadata`);
      const reports = this.array(se.sensorReport, `${p}/sensorReport`).map((r, j) => this.sensorReport(r, `${p}/sensorReport/${j}`));
      return {
        ...(md !== undefined && { sensorMetadata: this.sensorMetadata(md, `${p}/sensorMetadata`) }),
        sensorReport: reports,
        extensions: this.extensionsOf(se, ['sensorMetadata', 'sensorReport']),
      };
    });
  }

  sensorMetadata(md: Json, p: string): SensorMetadata {
    const out: Record<string, unknown> = {};
    for (const key of ['time', 'startTime', 'endTime'] as const) {
      const v = this.timestamp(md[key], `${p}/${key}`);
      if (v !== undefined) out[key] = v;
    }
    for (const key of ['deviceID', 'deviceMetadata', 'rawData', 'dataProcessingMethod', 'bizRules'] as const) {
      const v = this.uri(md[key], `${p}/${key}`);
      if (v !== undefined) out[key] = v;
    }
    out.extensions = this.extensionsOf(md, ['time', 'startTime', 'endTime', 'deviceID', 'deviceMetadata', 'rawData', 'dataProcessingMethod', 'bizRules']);
    return out as unknown as SensorMetadata;
  }

  sensorReport(value: unknown, p: string): SensorReport {
    const r = this.object(value, p) ?? {};
    const out: Record<string, unknown> = {};
    const put = (key: string, v: unknown) => {
      if (v !== undefined) out[key] = v;
    };
    put('type', this.vocabulary('measurementType', r.type, `${p}/type`));
    put('exception', this.vocabulary('sensorException', r.exception, `${p}/exception`));
    put('component', this.vocabulary('sensorComponent', r.component, `${p}/component`));
    put('time', this.timestamp(r.time, `${p}/time`));
    for (const key of ['deviceID', 'deviceMetadata', 'rawData', 'dataProcessingMethod', 'microorganism', 'chemicalSubstance', 'uriValue', 'coordinateReferenceSystem']) {
      put(key, this.uri(r[key], `${p}/${key}`));
    }
    for (const key of ['stringValue', 'hexBinaryValue', 'uom']) put(key, this.string(r[key], `${p}/${key}`));
    for (const key of ['value', 'minValue', 'maxValue', 'meanValue', 'sDev', 'percRank', 'percValue']) put(key, this.number(r[key], `${p}/${key}`));
    if (r.booleanValue !== undefined && r.booleanValue !== null) {
      if (typeof r.booleanValue !== 'boolean') throw bad('EPCIS_BAD_FIELD', `${p}/booleanValue`, 'expected true or false', r.booleanValue);
      out.booleanValue = r.booleanValue;
    }
    out.extensions = this.extensionsOf(r, [
      'type', 'exception', 'component', 'time', 'deviceID', 'deviceMetadata', 'rawData', 'dataProcessingMethod', 'microorganism',
      'chemicalSubstance', 'uriValue', 'coordinateReferenceSystem', 'stringValue', 'hexBinaryValue', 'uom', 'value', 'minValue',
      'maxValue', 'meanValue', 'sDev', 'percRank', 'percValue', 'booleanValue',
    ]);
    return out as unknown as SensorReport;
  }

  ilmd(): Ilmd | undefined {
    const path = this.path('ilmd');
    const ilmd = this.object(this.event.ilmd, path);
    if (ilmd === undefined) return undefined;
    const fields = this.extensionsOf(ilmd, []);
    const text = (key: string) => (typeof fields[key] === 'string' ? (fields[key] as string).trim() : undefined);
    const lotNumber = text(`${CBV_MDA}lotNumber`);
    const itemExpirationDate = text(`${CBV_MDA}itemExpirationDate`);
    return { ...(lotNumber && { lotNumber }), ...(itemExpirationDate && { itemExpirationDate }), fields };
  }

  action(): EventAction {
    const path = this.path('action');
    const action = this.string(this.event.action, path);
    if (action === undefined) throw bad('EPCIS_MISSING_FIELD', path, `a ${String(this.event.type)} needs an action (ADD, OBSERVE or DELETE)`);
    if (action !== 'ADD' && action !== 'OBSERVE' && action !== 'DELETE') throw bad('EPCIS_BAD_FIELD', path, `${JSON.stringify(action)} is not ADD, OBSERVE or DELETE`, action);
    return action;
  }
}

const COMMON_FIELDS: ReadonlySet<string> = new Set([
  'type', 'eventTime', 'eventTimeZoneOffset', 'recordTime', 'eventID', 'certificationInfo', 'errorDeclaration', 'bizStep', 'disposition',
  'persistentDisposition', 'readPoint', 'bizLocation', 'bizTransactionList', 'sourceList', 'destinationList', 'sensorElementList', '@context',
  'action', 'epcList', 'quantityList', 'ilmd', 'parentID', 'childEPCs', 'childQuantityList', 'transformationID', 'inputEPCList',
  'inputQuantityList', 'outputEPCList', 'outputQuantityList',
]);

/**
 * One event in the normalised model. `base` is the JSON pointer of the event within its document
 * (used in error paths); `documentContext` is the document's `@context` (prefixes of extensions).
 */
export function normaliseEvent(event: unknown, options: { index?: number; base?: string; documentContext?: unknown } = {}): EpcisEvent {
  return normaliseInScope(event, options.index ?? 0, options.base ?? '', documentScope(options.documentContext));
}

function parentIdOf(r: EventReader, event: Json): { parentID?: string } {
  const id = r.identifier(event.parentID, r.path('parentID'));
  return id === undefined ? {} : { parentID: id };
}

function ilmdOf(r: EventReader): { ilmd?: Ilmd } {
  const value = r.ilmd();
  return value === undefined ? {} : { ilmd: value };
}

function normaliseInScope(event: unknown, index: number, base: string, scope: DocumentScope): EpcisEvent {
  const options = { index, documentContext: scope.context };
  if (!isObject(event)) throw new EpcisError('EPCIS_NOT_AN_EVENT', `${base || '/'}: an EPCIS event must be a JSON object`, { path: base });
  const type = event.type;
  if (typeof type !== 'string' || !(EVENT_TYPES as readonly string[]).includes(type)) {
    throw new EpcisError('EPCIS_UNKNOWN_EVENT_TYPE', `${base}/type: ${JSON.stringify(type)} is not an EPCIS 2.0 event type (${EVENT_TYPES.join(', ')})`, {
      path: `${base}/type`,
      value: type,
    });
  }
  const r = new EventReader(event, base, scope);
  const eventTime = r.timestamp(event.eventTime, r.path('eventTime'));
  if (eventTime === undefined) throw bad('EPCIS_MISSING_FIELD', r.path('eventTime'), 'every event says when it happened');
  const eventTimeZoneOffset = r.string(event.eventTimeZoneOffset, r.path('eventTimeZoneOffset'));
  if (eventTimeZoneOffset === undefined) throw bad('EPCIS_MISSING_FIELD', r.path('eventTimeZoneOffset'), 'every event gives its local UTC offset');
  if (!/^[+-]\d{2}:\d{2}$/.test(eventTimeZoneOffset)) {
    throw bad('EPCIS_BAD_FIELD', r.path('eventTimeZoneOffset'), `${JSON.stringify(eventTimeZoneOffset)} is not a UTC offset like +01:00`, eventTimeZoneOffset);
  }
  const recordTime = r.timestamp(event.recordTime, r.path('recordTime'));
  const eventID = r.string(event.eventID, r.path('eventID'));
  const errorDeclaration = r.errorDeclaration();
  const certificationInfo = (Array.isArray(event.certificationInfo) ? event.certificationInfo : event.certificationInfo === undefined ? [] : [event.certificationInfo])
    .map((v, i) => r.uri(v, r.path('certificationInfo', i)) ?? '')
    .filter(Boolean);
  const bizStep = r.vocabulary('bizStep', event.bizStep, r.path('bizStep'));
  const disposition = r.vocabulary('disposition', event.disposition, r.path('disposition'));
  const persistentDisposition = r.persistentDisposition();
  const readPoint = r.location('readPoint');
  const bizLocation = r.location('bizLocation');

  const common = {
    index: options.index,
    hashId: eventHashId(event, { documentContext: options.documentContext, sha256Hex: scope.sha256Hex }),
    eventTime,
    eventTimeZoneOffset,
    ...(recordTime !== undefined && { recordTime }),
    ...(eventID !== undefined && { eventID }),
    certificationInfo,
    ...(errorDeclaration !== undefined && { errorDeclaration }),
    ...(bizStep !== undefined && { bizStep }),
    ...(disposition !== undefined && { disposition }),
    ...(persistentDisposition !== undefined && { persistentDisposition }),
    ...(readPoint !== undefined && { readPoint }),
    ...(bizLocation !== undefined && { bizLocation }),
    bizTransactionList: r.bizTransactions(),
    sourceList: r.sourcesOrDestinations('sourceList', 'source'),
    destinationList: r.sourcesOrDestinations('destinationList', 'destination'),
    sensorElementList: r.sensorElements(),
    extensions: r.extensionsOf(event, COMMON_FIELDS),
    source: event,
  };

  switch (type as EventType) {
    case 'ObjectEvent':
      return { type: 'ObjectEvent', ...common, action: r.action(), epcList: r.identifierList('epcList'), quantityList: r.quantityList('quantityList'), ...ilmdOf(r) };
    case 'AggregationEvent':
      return {
        type: 'AggregationEvent',
        ...common,
        action: r.action(),
        ...parentIdOf(r, event),
        childEPCs: r.identifierList('childEPCs'),
        childQuantityList: r.quantityList('childQuantityList'),
      };
    case 'TransactionEvent':
      return {
        type: 'TransactionEvent',
        ...common,
        action: r.action(),
        ...parentIdOf(r, event),
        epcList: r.identifierList('epcList'),
        quantityList: r.quantityList('quantityList'),
      };
    case 'TransformationEvent': {
      const transformationID = r.uri(event.transformationID, r.path('transformationID'));
      return {
        type: 'TransformationEvent',
        ...common,
        ...(transformationID !== undefined && { transformationID }),
        inputEPCList: r.identifierList('inputEPCList'),
        inputQuantityList: r.quantityList('inputQuantityList'),
        outputEPCList: r.identifierList('outputEPCList'),
        outputQuantityList: r.quantityList('outputQuantityList'),
        ...ilmdOf(r),
      };
    }
    case 'AssociationEvent':
      return {
        type: 'AssociationEvent',
        ...common,
        action: r.action(),
        ...parentIdOf(r, event),
        childEPCs: r.identifierList('childEPCs'),
        childQuantityList: r.quantityList('childQuantityList'),
      };
  }
}

/** Where the event list lives: epcisBody.eventList, or queryResults.resultsBody.eventList. */
function eventListOf(document: Json): { list: readonly unknown[]; base: string } {
  const body = isObject(document.epcisBody) ? document.epcisBody : undefined;
  if (body && Array.isArray(body.eventList)) return { list: body.eventList, base: '/epcisBody/eventList' };
  const results = body && isObject(body.queryResults) && isObject(body.queryResults.resultsBody) ? body.queryResults.resultsBody : undefined;
  if (results && Array.isArray(results.eventList)) return { list: results.eventList, base: '/epcisBody/queryResults/resultsBody/eventList' };
  throw new EpcisError('EPCIS_NOT_A_DOCUMENT', '/epcisBody: no eventList (epcisBody.eventList or epcisBody.queryResults.resultsBody.eventList)', {
    path: '/epcisBody',
  });
}

/**
 * Every event of an EPCIS 2.0 document (EPCISDocument or EPCISQueryDocument) in the normalised
 * model, in document order, each with its Event Hash ID. Validates against the JSON Schema first
 * unless told not to. Errors are EpcisError with the JSON pointer of the offending value.
 */
export function extractEvents(document: unknown, options: ExtractOptions = {}): ExtractedDocument {
  const doc = options.validate === false ? (document as EpcisDocumentJson) : validateEpcisDocument(document);
  if (!isObject(doc)) throw new EpcisError('EPCIS_NOT_A_DOCUMENT', 'an EPCIS document must be a JSON object', { path: '' });
  const { list, base } = eventListOf(doc);
  const scope = documentScope(doc['@context'], options.sha256Hex);
  const events = list.map((event, index) => normaliseInScope(event, index, `${base}/${index}`, scope));
  return { type: doc.type, events };
}

/** The identifiers an event is about (the units and containers its rules apply to), canonical. */
export function eventIdentifiers(event: EpcisEvent): string[] {
  switch (event.type) {
    case 'ObjectEvent':
      return [...event.epcList];
    case 'AggregationEvent':
    case 'AssociationEvent':
      return [...(event.parentID ? [event.parentID] : []), ...event.childEPCs];
    case 'TransactionEvent':
      return [...(event.parentID ? [event.parentID] : []), ...event.epcList];
    case 'TransformationEvent':
      return [...event.inputEPCList, ...event.outputEPCList];
  }
}
