/**
 * One error shape for every 4xx/5xx answer: `{ error: { code, message, details? } }`. Domain
 * errors keep their own stable codes and facts; this module only decides the HTTP status.
 */
import Database from 'better-sqlite3';
import { SqlError } from '../schemas/pg/sync-connection.ts';
import { GS1Error } from '../codes/gs1/errors.ts';
import { DigitalLinkError } from '../codes/gs1/digital-link.ts';
import { CnCodeError } from '../codes/cn/errors.ts';
import { EpcError } from '../codes/epc/errors.ts';
import { IdentifierError } from '../codes/identifier.ts';
import { LedgerError } from '../ledger/entry.ts';
import { EpcisError } from '../trace/epcis/errors.ts';
import { LifecycleError } from '../trace/lifecycle.ts';
import { TraceError } from '../trace/rules.ts';
import { QueryError } from '../trace/queries/errors.ts';
import { CampaignError } from '../trace/oversight/campaign-payload.ts';
import { IssuanceError } from '../codes/issuance/errors.ts';
import { WitnessError } from '../ledger/witness.ts';
import { NoteError } from '../ledger/note.ts';

export type ApiErrorCode =
  /** The request broke its route's JSON Schema (details.path, details.rule, details.violations). */
  | 'REQUEST_INVALID'
  /** The body is not JSON at all. */
  | 'REQUEST_MALFORMED_JSON'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'BODY_TOO_LARGE'
  | 'NOT_FOUND'
  /** No bearer token, or one that is unknown or revoked. */
  | 'AUTH_REQUIRED'
  | 'AUTH_INVALID_TOKEN'
  /** The token's role may not use this route (details.role, details.allowed). */
  | 'AUTH_FORBIDDEN'
  /** The token's party is not the party that signed the submission (details.tokenParty, details.signer). */
  | 'AUTH_SIGNER_MISMATCH'
  /** The unit exists but the token's party never held it (details.party, details.code). */
  | 'AUTH_NOT_VISIBLE'
  | 'RATE_LIMITED'
  /** The same Idempotency-Key was used before with a different request (details.key). */
  | 'IDEMPOTENCY_KEY_REUSED'
  /** The server is closing: no new requests (the ones in flight finish). */
  | 'SERVICE_CLOSING'
  /** The database cannot grow (disk full or its size limit): the write stored nothing; reads go on. */
  | 'STORAGE_FULL'
  /** The database is open read-only: the write stored nothing; reads go on. */
  | 'STORAGE_READ_ONLY'
  /** The database server cannot be reached or dropped the connection: nothing was written; retry later. */
  | 'STORAGE_UNAVAILABLE'
  /** A dispense or undo-dispense submission whose document does not hold exactly one event (details.events). */
  | 'DISPENSE_NOT_ONE_EVENT'
  /** … whose event means another lifecycle action than the route's (details.expected, details.action). */
  | 'DISPENSE_WRONG_ACTION'
  /** … whose event does not name exactly the unit of the path, alone, in its epcList (details.code, details.named). */
  | 'DISPENSE_WRONG_CODE'
  /** No such party, token or product (details name which). */
  | 'PARTY_NOT_FOUND'
  | 'TOKEN_NOT_FOUND'
  /** A witness cosignature names a key whose name is not the token's party (details.witness, details.party). */
  | 'WITNESS_NOT_SELF'
  /** A webhook URL whose host is a non-public address (details.address, details.range), or with user:pass@ (api/webhook-targets.ts). */
  | 'WEBHOOK_TARGET_FORBIDDEN'
  | 'WEBHOOK_URL_CREDENTIALS'
  | 'INTERNAL';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly statusCode: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

/** JSON Schema of the error body, shared by every route's 4xx/5xx responses. */
export const ERROR_SCHEMA = {
  $id: 'ApiError',
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'stable, machine-readable (docs/api.md)' },
        message: { type: 'string' },
        details: { type: 'object', additionalProperties: true },
      },
    },
  },
} as const;

const TRACE_STATUS: Record<string, number> = {
  TRACE_BAD_SUBMISSION: 400,
  TRACE_BAD_RECALL: 400,
  TRACE_BAD_REGISTRATION: 400,
  TRACE_DUPLICATE_EVENT: 409,
  TRACE_ALREADY_CORRECTED: 409,
};

const QUERY_STATUS: Record<string, number> = {
  TRACE_QUERY_BAD_CODE: 400,
  TRACE_QUERY_BAD_PARAMETER: 400,
  TRACE_QUERY_AMBIGUOUS_LOT: 400,
  TRACE_QUERY_UNKNOWN_CODE: 404,
  TRACE_QUERY_UNKNOWN_LOT: 404,
};

/** Recall campaigns (docs/oversight.md); unlisted RECALL_* codes are 422. */
const CAMPAIGN_STATUS: Record<string, number> = {
  RECALL_BAD_CAMPAIGN: 400,
  RECALL_NOT_OWN_PRODUCT: 403,
  RECALL_UNKNOWN_CAMPAIGN: 404,
  RECALL_ALREADY_RECALLED: 409,
};

const LEDGER_STATUS: Record<string, number> = {
  LEDGER_MALFORMED_ENTRY: 400,
  LEDGER_NOT_FOUND: 404,
  LEDGER_UNKNOWN_CHECKPOINT: 404,
  LEDGER_BAD_SIGNATURE: 422,
  LEDGER_UNKNOWN_KEY: 422,
  LEDGER_UNKNOWN_PARTY: 422,
  LEDGER_KEY_REVOKED: 422,
  LEDGER_KEY_ROTATED: 422,
  LEDGER_NOT_AUTHORIZED: 403,
  LEDGER_BAD_ITEMS_ROOT: 422,
  LEDGER_BAD_ITEM: 422,
  LEDGER_KEY_EXISTS: 409,
  LEDGER_PARTY_EXISTS: 409,
  LEDGER_NOT_INITIALIZED: 503,
  LEDGER_BAD_COSIGNATURE: 422,
};

const ISSUE_STATUS: Record<string, number> = {
  ISSUE_PRODUCT_EXISTS: 409,
  ISSUE_UNKNOWN_PRODUCT: 404,
  ISSUE_CAPACITY: 422,
  ISSUE_SERIAL_SPACE: 422,
  ISSUE_COLLISIONS: 500,
  ISSUE_UNKNOWN_CHECK_SCHEME: 422,
};

/** Socket and facade failures that mean the PostgreSQL server is out of reach (schemas/pg/sync-connection.ts SqlError codes). */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'SQL_TIMEOUT', 'SQL_WORKER']);

/**
 * What a PostgreSQL SQLSTATE says about the storage, for the faults the SQLite ones map to:
 * 53100 disk_full; 25006 read_only_sql_transaction (a hot standby, default_transaction_read_only);
 * class 08 connection exceptions, 57P01–57P03 (the server shutting down or starting), 53300 too many
 * connections, socket errors, and node-postgres's own "connection terminated" / "not queryable"
 * (no SQLSTATE). Anything else is not a storage fault.
 */
export function postgresFault(code: string | undefined, message = ''): 'full' | 'read-only' | 'unavailable' | undefined {
  if (code === undefined) return /connection terminated|not queryable|connection is closed/i.test(message) ? 'unavailable' : undefined;
  if (code === '53100') return 'full';
  if (code === '25006') return 'read-only';
  if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300' || UNREACHABLE.has(code)) return 'unavailable';
  return undefined;
}

/** Leaves out values that do not serialise (functions, undefined) and bounds big inputs. */
function facts(record: Record<string, unknown>): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) {
    if (v === undefined || typeof v === 'function') continue;
    out[k] = typeof v === 'string' && v.length > 500 ? `${v.slice(0, 500)}…` : v;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The domain message without the trailing "[CODE]" some classes append. */
function plain(message: string): string {
  return message.replace(/ \[[A-Z0-9_]+(, rule [^\]]*)?\]$/, '');
}

/** The status and body for any error a route threw; null for the ones only fastify knows. */
export function domainError(err: unknown): { status: number; body: ErrorBody } | null {
  const make = (status: number, code: string, message: string, details?: Record<string, unknown>) => ({
    status,
    body: { error: { code, message: plain(message), ...(details && facts(details) ? { details: facts(details) } : {}) } },
  });
  if (err instanceof ApiError) return make(err.statusCode, err.code, err.message, err.details);
  if (err instanceof GS1Error) return make(400, err.code, err.message, { ai: err.ai, rule: err.rule, position: err.position });
  if (err instanceof DigitalLinkError) return make(400, err.code, err.message, { ai: err.ai, position: err.position });
  if (err instanceof CnCodeError || err instanceof EpcError) return make(400, err.code, err.message, { ...err.details });
  if (err instanceof IdentifierError) return make(400, err.code, err.message);
  if (err instanceof EpcisError) return make(400, err.code, err.message, { ...err.details });
  if (err instanceof LifecycleError) return make(409, err.code, err.message, { unit: err.unit, action: err.action, currentStatus: err.currentStatus, rule: err.rule });
  if (err instanceof TraceError) return make(TRACE_STATUS[err.code] ?? 422, err.code, err.message, { ...err.details });
  if (err instanceof QueryError) return make(QUERY_STATUS[err.code] ?? 400, err.code, err.message, { ...err.details });
  if (err instanceof CampaignError) return make(CAMPAIGN_STATUS[err.code] ?? 422, err.code, err.message, { ...err.details });
  if (err instanceof IssuanceError) {
    const status = ISSUE_STATUS[err.code] ?? 400;
    if (status < 500) return make(status, err.code, err.message, { ...err.details });
  }
  if (err instanceof WitnessError) return make(400, err.code, err.message, { ...err.details });
  if (err instanceof NoteError) return make(400, err.code, err.message, { ...err.details });
  // Storage faults: the transaction rolled back, so the client may retry the same request later.
  if (err instanceof Database.SqliteError) {
    if (err.code === 'SQLITE_FULL') return make(507, 'STORAGE_FULL', 'the database is full (disk or size limit): nothing was written; reads go on; retry once space is freed', { sqlite: err.code });
    if (err.code.startsWith('SQLITE_READONLY')) return make(503, 'STORAGE_READ_ONLY', 'the database is read-only: nothing was written; reads go on; retry once it is writable', { sqlite: err.code });
  }
  if (err instanceof SqlError) {
    const fault = postgresFault(err.code, err.message);
    if (fault === 'full') return make(507, 'STORAGE_FULL', 'the database is full (disk full): nothing was written; reads go on; retry once space is freed', { sqlstate: err.code });
    if (fault === 'read-only') return make(503, 'STORAGE_READ_ONLY', 'the database is read-only: nothing was written; reads go on; retry once it is writable', { sqlstate: err.code });
    if (fault === 'unavailable') {
      return make(503, 'STORAGE_UNAVAILABLE', 'the database cannot be reached: a write may not have been stored; retry later (a capture with the same Idempotency-Key, or the same signed document, is never stored twice)', { sqlstate: err.code ?? null });
    }
  }
  if (err instanceof LedgerError) {
    const status = LEDGER_STATUS[err.code];
    // Any other ledger code (a broken store, an operator key problem) is the operator's fault, not the client's.
    if (status !== undefined) return make(status, err.code, err.message, { ...err.details });
  }
  return null;
}
