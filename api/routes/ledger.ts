/**
 * The integrity routes, public: anyone may check the log without trusting the operator, and they
 * reveal only hashes. GET /v1/checkpoint (the C2SP signed note, signing a new one first when the
 * log grew and the operator key is present), GET /v1/proofs/inclusion and /v1/proofs/consistency
 * (RFC 9162; hashes in base64, as in the checkpoint note).
 */
import type { FastifyInstance } from 'fastify';
import { toBase64 } from '../../ledger/bytes.ts';
import { ERROR_RESPONSES, type ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';

const B64 = { type: 'string', description: 'base64' } as const;

export function ledgerRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get(
    '/v1/checkpoint',
    {
      schema: {
        tags: ['ledger'],
        summary: 'the newest checkpoint as a C2SP signed note (text/plain), with witness cosignatures. Public.',
        produces: ['text/plain'],
        response: { 200: { type: 'string', description: 'C2SP signed note' }, ...ERROR_RESPONSES },
      },
    },
    async (_request, reply) => {
      let note: string | undefined;
      try {
        note = ctx.ledger.checkpoint().cosignedNote;
      } catch (err) {
        // Without the operator key (a read-only replica) the newest stored checkpoint is the answer.
        if ((err as { code?: string }).code !== 'LEDGER_OPERATOR_KEY') throw err;
        note = ctx.ledger.latestCheckpoint()?.cosignedNote;
      }
      if (note === undefined) throw new ApiError(404, 'NOT_FOUND', 'no checkpoint has been signed yet');
      return reply.type('text/plain; charset=utf-8').send(note);
    },
  );

  app.get<{ Querystring: { position: number; size?: number } }>(
    '/v1/proofs/inclusion',
    {
      schema: {
        tags: ['ledger'],
        summary: 'RFC 9162 inclusion proof of the entry at `position` in the tree of `size` entries (default: the current size). Public.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['position'],
          properties: { position: { type: 'integer', minimum: 0 }, size: { type: 'integer', minimum: 1 } },
        },
        response: {
          200: {
            type: 'object',
            required: ['position', 'size', 'leafHash', 'proof', 'root'],
            properties: { position: { type: 'integer' }, size: { type: 'integer' }, leafHash: B64, proof: { type: 'array', items: B64 }, root: B64 },
          },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request) => {
      const p = ctx.ledger.inclusionProof(request.query.position, request.query.size);
      return { position: p.position, size: p.size, leafHash: toBase64(p.leafHash), proof: p.proof.map(toBase64), root: toBase64(p.root) };
    },
  );

  app.get<{ Querystring: { from: number; to?: number } }>(
    '/v1/proofs/consistency',
    {
      schema: {
        tags: ['ledger'],
        summary: 'RFC 9162 consistency proof from the tree of `from` entries to that of `to` (default: the current size). Public.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['from'],
          properties: { from: { type: 'integer', minimum: 0 }, to: { type: 'integer', minimum: 1 } },
        },
        response: {
          200: {
            type: 'object',
            required: ['oldSize', 'newSize', 'oldRoot', 'newRoot', 'proof'],
            properties: { oldSize: { type: 'integer' }, newSize: { type: 'integer' }, oldRoot: B64, newRoot: B64, proof: { type: 'array', items: B64 } },
          },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request) => {
      const p = ctx.ledger.consistencyProof(request.query.from, request.query.to);
      return { oldSize: p.oldSize, newSize: p.newSize, oldRoot: toBase64(p.oldRoot), newRoot: toBase64(p.newRoot), proof: p.proof.map(toBase64) };
    },
  );
}
