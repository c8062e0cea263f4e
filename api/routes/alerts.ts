/**
 * The oversight review queue over HTTP (docs/oversight.md): alerts raised by filed detectors, seen
 * by regulators (all) and by parties (only the alerts about themselves), and reviewed by a
 * regulator's named reviewer with a signed decision that becomes a ledger entry. GET /v1/detectors
 * lists which detector versions are filed.
 *
 * The review is signed like a capture: the client signs the entry body derived from the alert and
 * its input (trace/oversight/alerts.ts reviewBody: kind review_decision, payload { alert:
 * {id, detector, version, filing, key}, decision, reason, reviewer }), and the server derives the
 * same body again; only the input, the signer, the claimed time and the signature travel.
 */
import type { FastifyInstance } from 'fastify';
import { ALERT_STATUSES } from '../../schemas/tables/oversight.ts';
import { OversightError, getAlert, listAlerts, listFilings, recordReview, reviewBody, type Alert, type AlertStatus, type ReviewDecision } from '../../trace/oversight/index.ts';
import type { ApiRole } from '../auth.ts';
import { BEARER, ERROR_RESPONSES, rolesNote, signedFields, type ApiContext } from '../context.ts';
import { ApiError, type ApiErrorCode } from '../errors.ts';

export const ALERT_READ_ROLES: readonly ApiRole[] = ['regulator', 'manufacturer', 'distributor', 'dispenser'];
export const ALERT_REVIEW_ROLES: readonly ApiRole[] = ['regulator'];

const OVERSIGHT_STATUS: Record<string, number> = {
  OVERSIGHT_UNKNOWN_ALERT: 404,
  OVERSIGHT_ALREADY_REVIEWED: 409,
  OVERSIGHT_NOT_AUTHORIZED: 403,
  OVERSIGHT_BAD_REVIEW: 400,
};

/** Oversight refusals keep their own codes in the API's error shape. */
function apiError(err: unknown): never {
  if (err instanceof OversightError) throw new ApiError(OVERSIGHT_STATUS[err.code] ?? 422, err.code as ApiErrorCode, err.message, err.details);
  throw err;
}

const ALERT_SCHEMA = {
  type: 'object',
  required: ['id', 'detector', 'version', 'filing', 'key', 'subject', 'parties', 'severity', 'summary', 'details', 'evidence', 'observedAt', 'createdAt', 'status', 'review'],
  properties: {
    id: { type: 'integer' },
    detector: { type: 'string' },
    version: { type: 'string' },
    filing: { type: 'integer', description: 'ledger position of the detector filing it ran under' },
    key: { type: 'string' },
    subject: { type: 'string' },
    parties: { type: 'array', items: { type: 'string' } },
    severity: { type: 'string', enum: ['low', 'medium', 'high', 'critical'] },
    summary: { type: 'string' },
    details: { type: 'object', additionalProperties: true },
    evidence: {
      type: 'object',
      required: ['positions', 'observations'],
      properties: {
        positions: { type: 'array', items: { type: 'object', required: ['position'], properties: { position: { type: 'integer' }, item: { type: 'integer' } } } },
        observations: { type: 'array', items: { type: 'integer' } },
      },
    },
    observedAt: { type: 'string' },
    createdAt: { type: 'string' },
    status: { type: 'string', enum: [...ALERT_STATUSES] },
    review: {
      type: ['object', 'null'],
      properties: {
        position: { type: 'integer', description: 'ledger position of the signed decision' },
        decision: { type: 'string', enum: ['confirm', 'dismiss'] },
        reviewer: { type: 'string' },
        party: { type: 'string' },
        reason: { type: 'string' },
        at: { type: 'string' },
      },
    },
  },
} as const;

export function alertRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const visible = (alert: Alert | undefined, principal: { party: string; role: ApiRole }, id: number): Alert => {
    if (!alert || (principal.role !== 'regulator' && !alert.parties.includes(principal.party))) {
      // A party learns nothing about alerts on others, not even that they exist.
      throw new ApiError(404, 'OVERSIGHT_UNKNOWN_ALERT' as ApiErrorCode, `no alert ${id}`, { alert: id });
    }
    return alert;
  };

  app.get<{ Querystring: { status?: AlertStatus; detector?: string; party?: string; before?: number; limit?: number } }>(
    '/v1/alerts',
    {
      onRequest: ctx.auth.require(ALERT_READ_ROLES),
      schema: {
        tags: ['oversight'],
        summary: 'the review queue: alerts newest first',
        description: `${rolesNote(ALERT_READ_ROLES)} A regulator sees every alert (and may filter by party); any other party only the alerts about itself.`,
        security: BEARER,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: [...ALERT_STATUSES] },
            detector: { type: 'string', maxLength: 64 },
            party: { type: 'string', maxLength: 128 },
            before: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'only alerts with a smaller id (next page)' },
            limit: { type: 'integer', minimum: 1, maximum: 1000 },
          },
        },
        response: { 200: { type: 'object', required: ['alerts'], properties: { alerts: { type: 'array', items: ALERT_SCHEMA } } }, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const principal = request.principal!;
      const q = request.query;
      const party = principal.role === 'regulator' ? q.party : principal.party;
      return { alerts: listAlerts(ctx.db, { status: q.status, detector: q.detector, party, before: q.before, limit: q.limit }) };
    },
  );

  app.get<{ Params: { id: number } }>(
    '/v1/alerts/:id',
    {
      onRequest: ctx.auth.require(ALERT_READ_ROLES),
      schema: {
        tags: ['oversight'],
        summary: 'one alert: detector version, evidence (ledger positions), review',
        description: `${rolesNote(ALERT_READ_ROLES)} Parties see only alerts about themselves (404 otherwise).`,
        security: BEARER,
        params: { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } } },
        response: { 200: ALERT_SCHEMA, ...ERROR_RESPONSES },
      },
    },
    async (request) => visible(getAlert(ctx.db, request.params.id), request.principal!, request.params.id),
  );

  app.post<{ Params: { id: number }; Body: { decision: ReviewDecision; reason: string; reviewer: string; signer: { party: string; keyId: string }; claimedTime: string; signature: string } }>(
    '/v1/alerts/:id/review',
    {
      onRequest: ctx.auth.require(ALERT_REVIEW_ROLES),
      schema: {
        tags: ['oversight'],
        summary: "confirm or dismiss an alert: the reviewer's signed decision becomes a ledger entry",
        description: `${rolesNote(ALERT_REVIEW_ROLES)} The token's party must be signer.party, a registered regulator. The signature is Ed25519 over the review_decision body derived from the alert and this input (trace/oversight/alerts.ts signReview).`,
        security: BEARER,
        params: { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } } },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['decision', 'reason', 'reviewer', 'signer', 'claimedTime', 'signature'],
          properties: {
            decision: { type: 'string', enum: ['confirm', 'dismiss'] },
            reason: { type: 'string', minLength: 1, maxLength: 2000 },
            reviewer: { type: 'string', minLength: 1, maxLength: 200, description: 'the person deciding' },
            ...signedFields(),
          },
        },
        response: { 200: ALERT_SCHEMA, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const principal = request.principal!;
      const { id } = request.params;
      const b = request.body;
      if (b.signer.party !== principal.party) {
        throw new ApiError(403, 'AUTH_SIGNER_MISMATCH', `the token is ${principal.party}'s but the decision is signed as ${b.signer.party}`, { tokenParty: principal.party, signer: b.signer.party });
      }
      const alert = visible(getAlert(ctx.db, id), principal, id);
      const input = { decision: b.decision, reason: b.reason, reviewer: b.reviewer };
      try {
        return recordReview(ctx.ledger, id, input, { body: reviewBody(alert, input, b.signer, b.claimedTime), signature: b.signature });
      } catch (err) {
        apiError(err);
      }
    },
  );

  app.get(
    '/v1/detectors',
    {
      onRequest: ctx.auth.require(ALERT_READ_ROLES),
      schema: {
        tags: ['oversight'],
        summary: 'the detectors of this build and their filings (which versions may run, with their validation)',
        description: rolesNote(ALERT_READ_ROLES),
        security: BEARER,
        response: { 200: { type: 'object', required: ['detectors', 'filings'], properties: { detectors: { type: 'array', items: { type: 'object', additionalProperties: true } }, filings: { type: 'array', items: { type: 'object', additionalProperties: true } } } }, ...ERROR_RESPONSES },
      },
    },
    async () => listFilings(ctx.db),
  );
}
