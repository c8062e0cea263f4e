/**
 * The integrity routes, public: anyone may check the log without trusting the operator, and they
 * reveal only hashes. GET /v1/checkpoint (the C2SP signed note, signing a new one first when the
 * log grew and the operator key is present), GET /v1/proofs/inclusion and /v1/proofs/consistency
 * (RFC 9162; hashes in base64, as in the checkpoint note).
 */
import type { FastifyInstance } from 'fastify';
import { toBase64 } from '../../ledger/bytes.ts';
import { nobleCrypto } from '../../ledger/crypto-noble.ts';
import { formatAddCheckpointRequest, parseWitnessKey } from '../../ledger/witness.ts';
import type { StoredCheckpoint } from '../../ledger/ledger.ts';
import type { ApiRole } from '../auth.ts';
import { BEARER, ERROR_RESPONSES, rolesNote, type ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { NDJSON, sendNdjson } from '../plugins/ndjson.ts';

export const ENTRIES_ROLES: readonly ApiRole[] = ['regulator'];
export const WITNESS_ROLES: readonly ApiRole[] = ['witness'];
/** Entries read per chunk of the entries stream. */
const ENTRY_CHUNK = 256;

const B64 = { type: 'string', description: 'base64' } as const;

/** A checkpoint of the current size (signed now if the log grew and the operator key is here), else the newest stored. */
function newestCheckpoint(ctx: ApiContext): StoredCheckpoint {
  let checkpoint: StoredCheckpoint | undefined;
  try {
    checkpoint = ctx.ledger.checkpoint();
  } catch (err) {
    // Without the operator key (a read-only replica), or when the database cannot be written (read-only,
    // full), the newest stored checkpoint is the answer: reads go on.
    const code = (err as { code?: string }).code ?? '';
    if (code !== 'LEDGER_OPERATOR_KEY' && code !== 'SQLITE_FULL' && !code.startsWith('SQLITE_READONLY')) throw err;
    checkpoint = ctx.ledger.latestCheckpoint();
  }
  if (checkpoint === undefined) throw new ApiError(404, 'NOT_FOUND', 'no checkpoint has been signed yet');
  return checkpoint;
}

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
    async (_request, reply) => reply.type('text/plain; charset=utf-8').send(newestCheckpoint(ctx).cosignedNote),
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
          properties: { position: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }, size: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } },
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
          properties: { from: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }, to: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } },
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

  app.get<{ Querystring: { from?: number; to?: number } }>(
    '/v1/ledger/entries',
    {
      onRequest: ctx.auth.require(ENTRIES_ROLES),
      schema: {
        tags: ['ledger'],
        summary: 'the ledger entries [from, to) as NDJSON, one entry per line: { index, entry (base64 of the stored RFC 8785 bytes), leafHash, items (base64 bytes) }',
        description: `${rolesNote(ENTRIES_ROLES)} Enough to recompute every leaf hash, the tree root (compare it with a signed checkpoint), every signature and every itemsRoot without trusting the operator. \`to\` defaults to the current size.`,
        security: BEARER,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { from: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }, to: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } },
        },
        produces: [NDJSON],
        response: { 200: { type: 'string', description: 'NDJSON' }, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const size = ctx.ledger.size();
      const from = request.query.from ?? 0;
      const to = request.query.to ?? size;
      if (to > size || from > to) {
        throw new ApiError(400, 'REQUEST_INVALID', `querystring: need 0 <= from <= to <= ${size} (the ledger size), got from ${from}, to ${to}`, { path: 'querystring/to', rule: 'range', from, to, size });
      }
      const ledger = ctx.ledger;
      function* chunks(): Generator<string> {
        for (let start = from; start < to; start += ENTRY_CHUNK) {
          let chunk = '';
          for (let p = start; p < Math.min(to, start + ENTRY_CHUNK); p++) {
            const record = ledger.get(p);
            const items = ledger.items(p).map((it) => toBase64(it.bytes));
            chunk += JSON.stringify({ index: p, entry: toBase64(record.bytes), leafHash: toBase64(record.leafHash), items }) + '\n';
          }
          yield chunk;
        }
      }
      return sendNdjson(reply, chunks());
    },
  );

  app.get<{ Querystring: { oldSize: number } }>(
    '/v1/witness/checkpoint',
    {
      onRequest: ctx.auth.require(WITNESS_ROLES),
      schema: {
        tags: ['witness'],
        summary: 'what a witness cosigns: a c2sp.org/tlog-witness add-checkpoint body (old size, consistency proof, the operator-signed checkpoint) from the size it last cosigned',
        description: `${rolesNote(WITNESS_ROLES)} text/plain. Feed it to ledger/witness.ts Witness (parseAddCheckpointRequest) and POST the cosignature line to /v1/witness/cosignatures.`,
        security: BEARER,
        querystring: { type: 'object', additionalProperties: false, required: ['oldSize'], properties: { oldSize: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } } },
        produces: ['text/plain'],
        response: { 200: { type: 'string' }, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const checkpoint = newestCheckpoint(ctx);
      const proof = ctx.ledger.consistencyProof(request.query.oldSize, checkpoint.size).proof;
      return reply.type('text/plain; charset=utf-8').send(formatAddCheckpointRequest({ oldSize: request.query.oldSize, proof, checkpoint: checkpoint.note }));
    },
  );

  app.post<{ Body: { size: number; vkey: string; line: string } }>(
    '/v1/witness/cosignatures',
    {
      onRequest: ctx.auth.require(WITNESS_ROLES),
      schema: {
        tags: ['witness'],
        summary: "store a witness's cosignature line on the checkpoint at `size` (checked against the witness key before it is kept)",
        description: `${rolesNote(WITNESS_ROLES)} The vkey's name must be the token's party (WITNESS_NOT_SELF); a line that does not verify is LEDGER_BAD_COSIGNATURE. A newer cosignature by the same witness replaces its older one.`,
        security: BEARER,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['size', 'vkey', 'line'],
          properties: {
            size: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
            vkey: { type: 'string', minLength: 1, maxLength: 400, description: 'the witness key, <name>+<key ID>+<base64(0x04 || public key)>' },
            line: { type: 'string', minLength: 1, maxLength: 400, description: 'the cosignature line, "— <name> <base64>"' },
          },
        },
        response: {
          200: { type: 'object', required: ['size', 'cosignatures', 'note'], properties: { size: { type: 'integer' }, cosignatures: { type: 'integer' }, note: { type: 'string' } } },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request) => {
      const principal = request.principal!;
      const key = parseWitnessKey(nobleCrypto, request.body.vkey);
      if (key.name !== principal.party) {
        throw new ApiError(403, 'WITNESS_NOT_SELF', `the key is witness ${key.name}'s but the token is ${principal.party}'s`, { witness: key.name, party: principal.party });
      }
      const stored = ctx.ledger.addCosignature(request.body.size, { name: key.name, publicKey: key.publicKey }, request.body.line);
      return { size: stored.size, cosignatures: stored.cosignatures.length, note: stored.cosignedNote };
    },
  );
}
