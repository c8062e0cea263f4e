/**
 * GET /v1/units/:code/history and GET /v1/units/:code/verify. `code` is any form the codes layer
 * reads (Digital Link, GS1 element string, EPC URN, CN code), URL-encoded as one path segment.
 *
 * Visibility (DESIGN.md §1, issue 6): regulators see every unit's history; any other party sees
 * the history of a unit it has held, that is one with an event it signed (its own, or of a case
 * or pallet the unit was in at the time), or that it holds now.
 */
import type { FastifyInstance } from 'fastify';
import { QueryError, unitHistory, verifyUnit, type UnitHistory } from '../../trace/queries/index.ts';
import { canonicalCode } from '../../trace/queries/db.ts';
import { prepareCapture, type CaptureSubmission } from '../../trace/capture.ts';
import { actionFor } from '../../trace/rules.ts';
import { exportUnitBundle } from '../../trace/proofs.ts';
import type { ApiRole, Principal } from '../auth.ts';
import { BEARER, ERROR_RESPONSES, rolesNote, type ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { IDEMPOTENCY_KEY_SCHEMA } from '../plugins/idempotency.ts';
import { RECEIPT_SCHEMA, SUBMISSION_SCHEMA, answerCapture, assertSigner } from './capture.ts';

export const HISTORY_ROLES: readonly ApiRole[] = ['manufacturer', 'distributor', 'dispenser', 'regulator'];
export const VERIFY_ROLES: readonly ApiRole[] = ['manufacturer', 'distributor', 'dispenser', 'regulator'];
/** Dispensing is a pharmacy's act; undoing it too (the same pharmacy, lifecycle rule). */
export const DISPENSE_ROLES: readonly ApiRole[] = ['dispenser'];
export const BUNDLE_ROLES: readonly ApiRole[] = ['manufacturer', 'distributor', 'dispenser', 'regulator'];

/**
 * Regulators see every unit; another party only a unit it has held: an event in the history was
 * signed by it, or it is the current custodian. AUTH_NOT_VISIBLE otherwise.
 */
export function assertVisible(principal: Principal, history: Pick<UnitHistory, 'code' | 'unit' | 'events'>): void {
  if (principal.role === 'regulator') return;
  const held = history.unit?.custodian === principal.party || history.events.some((e) => e.party === principal.party);
  if (!held) throw new ApiError(403, 'AUTH_NOT_VISIBLE', `${principal.party} has never held ${history.code}`, { party: principal.party, code: history.code });
}

/**
 * The dispense routes take a whole signed capture submission, but only one that says exactly what
 * the route says: one ObjectEvent, naming only the path's unit, meaning `expected`.
 */
function assertSingleAction(submission: CaptureSubmission, pathCode: string, expected: 'dispense' | 'undo_dispense'): void {
  const code = canonicalCode(pathCode);
  const { events } = prepareCapture(submission.document, submission.signer, submission.claimedTime);
  if (events.length !== 1) {
    throw new ApiError(422, 'DISPENSE_NOT_ONE_EVENT', `the document holds ${events.length} events; this route takes exactly one (${expected} of ${code})`, { events: events.length, code, rule: 'one event per dispense request' });
  }
  const event = events[0];
  const action = actionFor(event);
  if (action !== expected) {
    throw new ApiError(422, 'DISPENSE_WRONG_ACTION', `the event means ${action}, but this route records ${expected}`, { expected, action, code });
  }
  const named = event.type === 'ObjectEvent' ? [...event.epcList] : [];
  const quantities = event.type === 'ObjectEvent' ? event.quantityList.length : 0;
  if (named.length !== 1 || named[0] !== code || quantities !== 0) {
    throw new ApiError(422, 'DISPENSE_WRONG_CODE', `the event must name ${code} alone in its epcList`, { code, named, rule: 'the event names the unit of the path and nothing else' });
  }
}

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
      assertVisible(principal, history);
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

  for (const [suffix, expected] of [['dispense', 'dispense'], ['undo-dispense', 'undo_dispense']] as const) {
    app.post<{ Params: { code: string }; Body: CaptureSubmission; Headers: { 'idempotency-key'?: string } }>(
      `/v1/units/:code/${suffix}`,
      {
        onRequest: ctx.auth.require(DISPENSE_ROLES),
        schema: {
          tags: ['units'],
          summary: expected === 'dispense' ? 'dispense a unit to a patient: a signed capture of exactly that event' : "undo a unit's dispense (the same pharmacy, place): a signed capture of exactly that event",
          description: `${rolesNote(DISPENSE_ROLES)} The body is a signed capture submission (as POST /v1/capture) whose document holds one ObjectEvent naming only this unit and meaning ${expected} (bizStep dispensing, disposition ${expected === 'dispense' ? 'dispensed' : 'active'}); otherwise 422 DISPENSE_NOT_ONE_EVENT, DISPENSE_WRONG_ACTION or DISPENSE_WRONG_CODE. Same Idempotency-Key handling and receipt as capture.`,
          security: BEARER,
          params: CODE_PARAMS,
          headers: { type: 'object', properties: { 'idempotency-key': IDEMPOTENCY_KEY_SCHEMA } },
          body: SUBMISSION_SCHEMA,
          response: { 200: RECEIPT_SCHEMA, 201: RECEIPT_SCHEMA, ...ERROR_RESPONSES },
        },
      },
      async (request, reply) => {
        assertSigner(request);
        assertSingleAction(request.body, request.params.code, expected);
        return answerCapture(ctx, request, reply, `POST /v1/units/:code/${suffix}`);
      },
    );
  }

  app.get<{ Params: { code: string } }>(
    '/v1/units/:code/proof-bundle',
    {
      onRequest: ctx.auth.require(BUNDLE_ROLES),
      schema: {
        tags: ['units', 'ledger'],
        summary: "an offline proof bundle of the unit's history (drugtrace-proof-bundle/v1; verify with drugtrace proof verify, no server needed)",
        description: `${rolesNote(BUNDLE_ROLES)} Visibility as for the history (AUTH_NOT_VISIBLE). When the log grew past the newest checkpoint, a new one is signed first.`,
        security: BEARER,
        params: CODE_PARAMS,
        response: {
          200: {
            type: 'object',
            required: ['format', 'log', 'checkpoint', 'entries'],
            properties: {
              format: { type: 'string' },
              log: { type: 'object', additionalProperties: true },
              checkpoint: { type: 'string' },
              entries: { type: 'array', items: { type: 'object', additionalProperties: true } },
            },
          },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request, reply) => {
      const history = unitHistory(ctx.ledger, request.params.code);
      if (history.unit === null && history.events.length === 0) {
        throw new QueryError('TRACE_QUERY_UNKNOWN_CODE', `the ledger has no event for ${history.code}`, { code: history.code });
      }
      assertVisible(request.principal!, history);
      const { bundle } = exportUnitBundle(ctx.ledger, history.code);
      return reply.header('content-disposition', 'attachment; filename="unit-proof.json"').send(bundle);
    },
  );
}
