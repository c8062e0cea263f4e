/**
 * GET /v1/units/:code/history and GET /v1/units/:code/verify. `code` is any form the codes layer
 * reads (Digital Link, GS1 element string, EPC URN, CN code), URL-encoded as one path segment.
 *
 * Visibility (DESIGN.md §1, issue 6): regulators see every unit's history; any other party sees
 * the history of a unit it has held, that is one with an event it signed (its own, or of a case
 * or pallet the unit was in at the time), or that it holds now.
 */
import type { FastifyInstance } from 'fastify';
import { QueryError, unitHistory, verifyUnit } from '../../trace/queries/index.ts';
import type { ApiRole } from '../auth.ts';
import { BEARER, ERROR_RESPONSES, rolesNote, type ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';

export const HISTORY_ROLES: readonly ApiRole[] = ['manufacturer', 'distributor', 'dispenser', 'regulator'];
export const VERIFY_ROLES: readonly ApiRole[] = ['manufacturer', 'distributor', 'dispenser', 'regulator'];

const CODE_PARAMS = {
  type: 'object',
  required: ['code'],
  properties: { code: { type: 'string', minLength: 1, maxLength: 512, description: 'the unit code in any form, URL-encoded' } },
} as const;

const NULLABLE_STRING = { type: ['string', 'null'] } as const;

const HISTORY_SCHEMA = {
  type: 'object',
  required: ['code', 'unit', 'events', 'containers', 'lineage', 'recalls'],
  properties: {
    code: { type: 'string' },
    unit: {
      type: ['object', 'null'],
      properties: {
        kind: { type: 'string' },
        status: { type: 'string' },
        recalled: { type: 'boolean' },
        product: NULLABLE_STRING,
        lot: NULLABLE_STRING,
        expiry: NULLABLE_STRING,
        custodian: NULLABLE_STRING,
        location: NULLABLE_STRING,
        parent: NULLABLE_STRING,
        shippedTo: NULLABLE_STRING,
      },
    },
    events: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          position: { type: 'integer' },
          item: { type: 'integer' },
          hashId: { type: 'string' },
          eventType: { type: 'string' },
          action: NULLABLE_STRING,
          eventTime: { type: 'string' },
          bizStep: NULLABLE_STRING,
          disposition: NULLABLE_STRING,
          party: { type: 'string' },
          location: NULLABLE_STRING,
          role: { type: 'string' },
          via: NULLABLE_STRING,
          lineageOf: NULLABLE_STRING,
          erroneous: { type: ['object', 'null'], additionalProperties: true },
        },
      },
    },
    containers: { type: 'array', items: { type: 'object', additionalProperties: true } },
    lineage: { type: 'object', additionalProperties: true },
    recalls: { type: 'array', items: { type: 'object', additionalProperties: true } },
  },
} as const;

const VERIFY_SCHEMA = {
  type: 'object',
  required: ['verdict', 'code', 'genuine', 'status', 'recalled', 'reasons', 'at'],
  properties: {
    verdict: { type: 'string', enum: ['ok_to_dispense', 'do_not_dispense', 'unknown_code'] },
    code: { type: 'string' },
    genuine: { type: 'boolean' },
    status: NULLABLE_STRING,
    recalled: { type: 'boolean' },
    expiry: NULLABLE_STRING,
    product: NULLABLE_STRING,
    lot: NULLABLE_STRING,
    custodian: NULLABLE_STRING,
    location: NULLABLE_STRING,
    dispensed: { type: ['object', 'null'], additionalProperties: true },
    reasons: {
      type: 'array',
      items: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } },
    },
    issuance: NULLABLE_STRING,
    at: { type: 'string' },
  },
} as const;

export function unitRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Params: { code: string } }>(
    '/v1/units/:code/history',
    {
      onRequest: ctx.auth.require(HISTORY_ROLES),
      schema: {
        tags: ['units'],
        summary: "a unit's full history (its events, its containers' events while it was inside, its lineage, its lot's recalls)",
        description: `${rolesNote(HISTORY_ROLES)} Regulators see every unit; other parties only units they have held (AUTH_NOT_VISIBLE otherwise).`,
        security: BEARER,
        params: CODE_PARAMS,
        response: { 200: HISTORY_SCHEMA, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const principal = request.principal!;
      const history = unitHistory(ctx.ledger, request.params.code);
      if (history.unit === null && history.events.length === 0) {
        throw new QueryError('TRACE_QUERY_UNKNOWN_CODE', `the ledger has no event for ${history.code}`, { code: history.code });
      }
      if (principal.role !== 'regulator') {
        const held = history.unit?.custodian === principal.party || history.events.some((e) => e.party === principal.party);
        if (!held) {
          throw new ApiError(403, 'AUTH_NOT_VISIBLE', `${principal.party} has never held ${history.code}`, { party: principal.party, code: history.code });
        }
      }
      return history;
    },
  );

  app.get<{ Params: { code: string }; Querystring: { at?: string } }>(
    '/v1/units/:code/verify',
    {
      onRequest: ctx.auth.require(VERIFY_ROLES),
      schema: {
        tags: ['units'],
        summary: "the dispenser's verdict: ok_to_dispense, do_not_dispense (with reasons) or unknown_code",
        description: rolesNote(VERIFY_ROLES),
        security: BEARER,
        params: CODE_PARAMS,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { at: { type: 'string', format: 'date-time', description: 'judge expiry at this moment (default now)' } },
        },
        response: { 200: VERIFY_SCHEMA, ...ERROR_RESPONSES },
      },
    },
    async (request) => verifyUnit(ctx.ledger, request.params.code, request.query.at),
  );
}
