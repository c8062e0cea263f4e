/**
 * A subset of the EPCIS 2.0 query interface (GS1 EPCIS 2.0 §8.2.7 SimpleEventQuery) over the
 * captured events, with the standard parameter names:
 *
 *   eventType            ObjectEvent | AggregationEvent | TransactionEvent | TransformationEvent | AssociationEvent (any of)
 *   EQ_bizStep           bare word, CURIE, 1.x URN or GS1 Web URI (any of)
 *   EQ_disposition       same forms (any of)
 *   GE_eventTime         eventTime ≥ this instant
 *   LT_eventTime         eventTime < this instant
 *   MATCH_epc            the event names the code in epcList or childEPCs (any of; any code form)
 *   MATCH_anyEPC         … in epcList, childEPCs, parentID, inputEPCList or outputEPCList
 *   MATCH_parentID       … as parentID
 *   MATCH_inputEPC / MATCH_outputEPC   … as transformation input / output
 *   EQ_bizLocation / EQ_readPoint      the event's location (GLN, sgln URN or Digital Link; any of)
 *   eventCountLimit      at most this many events (the first in ledger order)
 *
 * Values given as a list match any of them; parameters combine with AND. Events declared
 * erroneous are left out unless `includeErroneous` is set. Results come in ledger order.
 */
import { canonicalEpcisIdentifier, EVENT_TYPES, normaliseTimestamp, vocabularyTerm, canonicalVocabularyValue } from '../epcis/index.ts';
import { QueryError } from './errors.ts';
import { canonicalCode, connectionOf, type QuerySource } from './db.ts';

type OneOrMany = string | readonly string[];

export interface EpcisQueryParams {
  eventType?: OneOrMany;
  EQ_bizStep?: OneOrMany;
  EQ_disposition?: OneOrMany;
  GE_eventTime?: string;
  LT_eventTime?: string;
  MATCH_epc?: OneOrMany;
  MATCH_anyEPC?: OneOrMany;
  MATCH_parentID?: OneOrMany;
  MATCH_inputEPC?: OneOrMany;
  MATCH_outputEPC?: OneOrMany;
  EQ_bizLocation?: OneOrMany;
  EQ_readPoint?: OneOrMany;
  eventCountLimit?: number;
  includeErroneous?: boolean;
}

export const EPCIS_QUERY_PARAMETERS = [
  'eventType',
  'EQ_bizStep',
  'EQ_disposition',
  'GE_eventTime',
  'LT_eventTime',
  'MATCH_epc',
  'MATCH_anyEPC',
  'MATCH_parentID',
  'MATCH_inputEPC',
  'MATCH_outputEPC',
  'EQ_bizLocation',
  'EQ_readPoint',
  'eventCountLimit',
  'includeErroneous',
] as const;

export interface QueriedEvent {
  position: number;
  item: number;
  hashId: string;
  eventType: string;
  eventTime: string;
  bizStep: string | null;
  disposition: string | null;
  /** The party that signed the capture. */
  party: string;
  /** The event exactly as captured (the ledger item's JSON). */
  source: Record<string, unknown>;
  erroneous: boolean;
}

const MATCH_ROLES: Record<string, readonly string[]> = {
  MATCH_epc: ['epc', 'child'],
  MATCH_anyEPC: ['epc', 'child', 'parent', 'input', 'output'],
  MATCH_parentID: ['parent'],
  MATCH_inputEPC: ['input'],
  MATCH_outputEPC: ['output'],
};

function bad(param: string, value: unknown, message: string): never {
  throw new QueryError('TRACE_QUERY_BAD_PARAMETER', `${param}: ${message}`, { param, value });
}

function list(param: string, value: OneOrMany): string[] {
  const values = typeof value === 'string' ? [value] : Array.isArray(value) ? [...value] : bad(param, value, 'expected a string or a list of strings');
  if (values.length === 0 || values.some((v) => typeof v !== 'string' || v.trim() === '')) bad(param, value, 'values must be non-empty strings');
  return values;
}

/** The bare CBV word the projections store; a company's own vocabulary stays a URI. */
function term(kind: 'bizStep' | 'disposition', param: string, value: string): string {
  try {
    return vocabularyTerm(kind, value) ?? canonicalVocabularyValue(kind, value);
  } catch (err) {
    return bad(param, value, (err as Error).message);
  }
}

function instant(param: string, value: unknown): string {
  if (typeof value !== 'string') bad(param, value, 'expected an ISO 8601 date-time');
  try {
    return normaliseTimestamp(value, param);
  } catch (err) {
    return bad(param, value, (err as Error).message);
  }
}

function location(param: string, value: string): string {
  const text = value.trim();
  try {
    return canonicalEpcisIdentifier(/^\d{13}$/.test(text) ? `https://id.gs1.org/414/${text}` : text, param);
  } catch (err) {
    return bad(param, value, (err as Error).message);
  }
}

/**
 * Who is asking, beyond the EPCIS parameters: `party` keeps only the events that party signed
 * (its visibility when it is not a regulator). Applied in the query, before eventCountLimit, so
 * the limit counts what the caller may see and nothing else is read into memory.
 */
export interface QueryScope {
  party?: string;
}

/** Builds the SQL for a parameter set (exported for tests of the refusals; callers use queryEvents). */
export function compileQuery(params: EpcisQueryParams, scope: QueryScope = {}): { sql: string; args: unknown[] } {
  if (params === null || typeof params !== 'object') bad('params', params, 'expected an object of query parameters');
  const where: string[] = [];
  const args: unknown[] = [];
  const inList = (column: string, values: string[]) => {
    where.push(`${column} IN (${values.map(() => '?').join(', ')})`);
    args.push(...values);
  };
  for (const [param, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (!(EPCIS_QUERY_PARAMETERS as readonly string[]).includes(param)) bad(param, value, `unknown query parameter (known: ${EPCIS_QUERY_PARAMETERS.join(', ')})`);
  }
  if (params.eventType !== undefined) {
    const types = list('eventType', params.eventType);
    for (const t of types) if (!(EVENT_TYPES as readonly string[]).includes(t)) bad('eventType', t, `${JSON.stringify(t)} is not one of ${EVENT_TYPES.join(', ')}`);
    inList('e.event_type', types);
  }
  if (params.EQ_bizStep !== undefined) inList('e.biz_step', list('EQ_bizStep', params.EQ_bizStep).map((v) => term('bizStep', 'EQ_bizStep', v)));
  if (params.EQ_disposition !== undefined) inList('e.disposition', list('EQ_disposition', params.EQ_disposition).map((v) => term('disposition', 'EQ_disposition', v)));
  if (params.GE_eventTime !== undefined) {
    where.push('e.event_time >= ?');
    args.push(instant('GE_eventTime', params.GE_eventTime));
  }
  if (params.LT_eventTime !== undefined) {
    where.push('e.event_time < ?');
    args.push(instant('LT_eventTime', params.LT_eventTime));
  }
  for (const [param, roles] of Object.entries(MATCH_ROLES)) {
    const value = params[param as keyof EpcisQueryParams] as OneOrMany | undefined;
    if (value === undefined) continue;
    const codes = list(param, value).map((v) => {
      try {
        return canonicalCode(v);
      } catch (err) {
        return bad(param, v, (err as Error).message);
      }
    });
    // Only events that name the code themselves: an event reaching it through a container is no match (EPCIS semantics).
    where.push(
      `(e.position, e.item) IN (SELECT position, item FROM trace_unit_events WHERE code IN (${codes.map(() => '?').join(', ')}) AND via IS NULL AND role IN (${roles.map((r) => `'${r}'`).join(', ')}))`,
    );
    args.push(...codes);
  }
  if (params.EQ_bizLocation !== undefined) inList('e.biz_location', list('EQ_bizLocation', params.EQ_bizLocation).map((v) => location('EQ_bizLocation', v)));
  if (params.EQ_readPoint !== undefined) inList('e.read_point', list('EQ_readPoint', params.EQ_readPoint).map((v) => location('EQ_readPoint', v)));
  if (!params.includeErroneous) where.push('e.erroneous_at IS NULL');
  if (scope.party !== undefined) {
    where.push('e.party = ?');
    args.push(scope.party);
  }
  let limit = '';
  if (params.eventCountLimit !== undefined) {
    if (!Number.isSafeInteger(params.eventCountLimit) || params.eventCountLimit < 1) bad('eventCountLimit', params.eventCountLimit, 'expected a whole number ≥ 1');
    limit = ' LIMIT ?';
  }
  const sql = `SELECT e.position, e.item, e.hash_id AS "hashId", e.event_type AS "eventType", e.event_time AS "eventTime", e.biz_step AS "bizStep",
    e.disposition, e.party, e.erroneous_at AS "erroneousAt", i.bytes
    FROM trace_events e JOIN ledger_items i ON i.entry_position = e.position AND i.item_index = e.item
    ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY e.position, e.item${limit}`;
  if (limit) args.push(params.eventCountLimit);
  return { sql, args };
}

const decoder = new TextDecoder();

/** The events matching every given parameter (and the scope), in ledger order. */
export function queryEvents(source: QuerySource, params: EpcisQueryParams = {}, scope: QueryScope = {}): QueriedEvent[] {
  const db = connectionOf(source);
  const { sql, args } = compileQuery(params, scope);
  // Not cached: parameter shapes vary without bound.
  const rows = db.prepare(sql).all(...args) as Array<Omit<QueriedEvent, 'source' | 'erroneous'> & { erroneousAt: number | null; bytes: Uint8Array }>;
  return rows.map(({ bytes, erroneousAt, ...row }) => ({ ...row, erroneous: erroneousAt !== null, source: JSON.parse(decoder.decode(bytes)) as Record<string, unknown> }));
}
