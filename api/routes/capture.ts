/**
 * POST /v1/capture: a party's EPCIS 2.0 document, signed with its Ed25519 key, becomes one ledger
 * entry (trace/capture.ts). The token's party must be the signer: a token cannot sign for another
 * party, and a key cannot be used under another party's token. `Idempotency-Key` makes retries safe.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { captureDocument, type CaptureReceipt, type CaptureSubmission } from '../../trace/capture.ts';
import { answerBeforeOversight } from '../../trace/oversight/index.ts';
import type { ApiRole } from '../auth.ts';
import { BEARER, ERROR_RESPONSES, rolesNote, signedFields, type ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { IDEMPOTENCY_KEY_SCHEMA, idempotent } from '../plugins/idempotency.ts';

export const CAPTURE_ROLES: readonly ApiRole[] = ['manufacturer', 'distributor', 'dispenser'];

export const RECEIPT_SCHEMA = {
  type: 'object',
  required: ['position', 'leafHash', 'entryHash', 'duplicate', 'events'],
  properties: {
    position: { type: 'integer', description: 'ledger position of the capture entry' },
    leafHash: { type: 'string', description: 'RFC 9162 leaf hash of the entry (hex)' },
    entryHash: { type: 'string', description: 'SHA-256 of the stored entry (hex)' },
    duplicate: { type: 'boolean', description: 'the same signed document was captured before: nothing was written' },
    events: {
      type: 'array',
      items: { type: 'object', required: ['index', 'hashId'], properties: { index: { type: 'integer' }, hashId: { type: 'string' } } },
    },
  },
} as const;

/** A signed capture submission (trace/capture.ts CaptureSubmission); unknown fields are refused. */
export const SUBMISSION_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['document', 'signer', 'claimedTime', 'signature'],
  properties: {
    document: { type: 'object', description: 'EPCIS 2.0 document (EPCISDocument JSON)' },
    ...signedFields(),
  },
} as const;

/** The submission's signer must be the token's party: a token cannot sign for another party. */
export function assertSigner(request: FastifyRequest<{ Body: CaptureSubmission }>): void {
  const principal = request.principal!;
  const submission = request.body;
  if (submission.signer.party !== principal.party) {
    throw new ApiError(403, 'AUTH_SIGNER_MISMATCH', `the token is ${principal.party}'s but the document is signed as ${submission.signer.party}`, {
      tokenParty: principal.party,
      signer: submission.signer.party,
    });
  }
}

/** Captures the request's submission under its Idempotency-Key and answers with the receipt (201, or 200 for a duplicate). */
export function answerCapture(ctx: ApiContext, request: FastifyRequest<{ Body: CaptureSubmission; Headers: { 'idempotency-key'?: string } }>, reply: FastifyReply, route: string) {
  // The filed detectors run after this answer is written, not before (trace/oversight/runner.ts).
  const result = answerBeforeOversight(() =>
    idempotent<CaptureReceipt>(ctx.db, { party: request.principal!.party, key: request.headers['idempotency-key'], route, body: request.body, ttlMs: ctx.idempotencyTtlMs }, () => {
      const receipt = captureDocument(ctx.ledger, request.body);
      return { statusCode: receipt.duplicate ? 200 : 201, response: receipt };
    }),
  );
  if (result.replayed) reply.header('idempotent-replayed', 'true');
  return reply.status(result.statusCode).send(result.response);
}

export function captureRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post<{ Body: CaptureSubmission; Headers: { 'idempotency-key'?: string } }>(
    '/v1/capture',
    {
      onRequest: ctx.auth.require(CAPTURE_ROLES),
      schema: {
        tags: ['capture'],
        summary: 'capture a signed EPCIS 2.0 document',
        description: `${rolesNote(CAPTURE_ROLES)} The token's party must be signer.party. The signature is Ed25519 over the entry body derived from the document (trace/capture.ts signCapture).`,
        security: BEARER,
        headers: { type: 'object', properties: { 'idempotency-key': IDEMPOTENCY_KEY_SCHEMA } },
        body: SUBMISSION_SCHEMA,
        response: { 200: RECEIPT_SCHEMA, 201: RECEIPT_SCHEMA, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      assertSigner(request);
      return answerCapture(ctx, request, reply, 'POST /v1/capture');
    },
  );
}
