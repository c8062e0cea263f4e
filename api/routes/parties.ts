/**
 * Parties and their signing keys. Every change is an operator-signed ledger entry
 * (party_registration, key_registration, key_revocation), so the registry itself is auditable:
 *
 *   POST /v1/parties                               register a trace party (and its first key)
 *   GET  /v1/parties, GET /v1/parties/:party       the registered parties with their keys' state
 *   POST /v1/parties/:party/keys                   register another public key for a party
 *   POST /v1/parties/:party/keys/:keyId/revoke     revoke a key (it signs nothing from here on)
 *
 * Registering and revoking are for the admin and regulators; reading is for every token (a
 * shipper needs its receivers' locations).
 */
import type { FastifyInstance } from 'fastify';
import { fromBase64, toBase64 } from '../../ledger/bytes.ts';
import { LedgerError } from '../../ledger/entry.ts';
import { PARTY_ROLES, registerTraceParty, type PartyInput, type TraceParty } from '../../trace/parties.ts';
import { Plan } from '../../trace/projections.ts';
import { API_ROLES, type ApiRole } from '../auth.ts';
import { BEARER, ERROR_RESPONSES, rolesNote, type ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';

export const PARTY_WRITE_ROLES: readonly ApiRole[] = ['admin', 'regulator'];
export const PARTY_READ_ROLES: readonly ApiRole[] = [...API_ROLES];

const PARTY_ID = { type: 'string', pattern: '^[A-Za-z0-9._:@/-]{1,128}$' } as const;
const PUBLIC_KEY = { type: 'string', pattern: '^[A-Za-z0-9+/]{43}=$', description: 'base64 of the 32-byte Ed25519 public key' } as const;
const KEY_SCHEMA = {
  type: 'object',
  required: ['keyId', 'publicKey', 'status', 'registeredAt'],
  properties: {
    keyId: { type: 'string' },
    publicKey: { type: 'string' },
    status: { type: 'string', enum: ['active', 'rotated', 'revoked'] },
    registeredAt: { type: 'integer', description: 'ledger position' },
    rotatedAt: { type: ['integer', 'null'] },
    revokedAt: { type: ['integer', 'null'] },
  },
} as const;
const PARTY_SCHEMA = {
  type: 'object',
  required: ['party', 'role', 'name', 'locations', 'prefixes', 'cnPrefixes', 'keys'],
  properties: {
    party: { type: 'string' },
    role: { type: 'string' },
    name: { type: 'string' },
    locations: { type: 'array', items: { type: 'string' } },
    prefixes: { type: 'array', items: { type: 'string' } },
    cnPrefixes: { type: 'array', items: { type: 'string' } },
    keys: { type: 'array', items: KEY_SCHEMA },
  },
} as const;
const ENTRY_RECEIPT = {
  type: 'object',
  required: ['position', 'leafHash', 'entryHash'],
  properties: { position: { type: 'integer' }, leafHash: { type: 'string' }, entryHash: { type: 'string' }, keyId: { type: 'string' } },
} as const;

function publicKeyBytes(text: string, path: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(text);
  } catch {
    throw new ApiError(400, 'REQUEST_INVALID', `${path}: not canonical base64`, { path, rule: 'base64' });
  }
  if (bytes.length !== 32) throw new ApiError(400, 'REQUEST_INVALID', `${path}: an Ed25519 public key is 32 bytes, not ${bytes.length}`, { path, rule: 'length' });
  return bytes;
}

export function partyRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const describe = (party: TraceParty) => ({
    ...party,
    keys: ctx.ledger
      .keys()
      .filter((k) => k.party === party.party)
      .map((k) => ({ keyId: k.keyId, publicKey: toBase64(k.publicKey), status: k.status, registeredAt: k.registeredAt, rotatedAt: k.rotatedAt, revokedAt: k.revokedAt })),
  });
  const find = (id: string) => {
    const party = new Plan(ctx.db).party(id);
    if (!party) throw new ApiError(404, 'PARTY_NOT_FOUND', `no trace party ${id}`, { party: id });
    return party;
  };
  /** The body's public key, refused when malformed or registered already (to any party). */
  const newPublicKey = (text: string) => {
    const key = publicKeyBytes(text, 'body/publicKey');
    if (ctx.ledger.isPublicKeyRegistered(key)) throw new LedgerError('LEDGER_KEY_EXISTS', 'this public key is already registered', { path: 'body/publicKey' });
    return key;
  };
  const keyReceipt = (r: { position: number; leafHash: string; entryHash: string; keyId: string }) => ({ position: r.position, leafHash: r.leafHash, entryHash: r.entryHash, keyId: r.keyId });

  app.post<{ Body: PartyInput & { publicKey?: string } }>(
    '/v1/parties',
    {
      onRequest: ctx.auth.require(PARTY_WRITE_ROLES),
      schema: {
        tags: ['parties'],
        summary: 'register a trace party (an operator-signed party_registration entry), with its first public key when given',
        description: `${rolesNote(PARTY_WRITE_ROLES)} A location another party holds is refused (TRACE_BAD_REGISTRATION); an existing party LEDGER_PARTY_EXISTS.`,
        security: BEARER,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['party', 'role', 'name', 'locations'],
          properties: {
            party: PARTY_ID,
            role: { type: 'string', enum: [...PARTY_ROLES] },
            name: { type: 'string', minLength: 1, maxLength: 200 },
            locations: { type: 'array', minItems: 1, maxItems: 100, items: { type: 'string', minLength: 1, maxLength: 200 }, description: 'GLNs, sgln/pgln URNs or Digital Links' },
            prefixes: { type: 'array', maxItems: 100, items: { type: 'string', pattern: '^[0-9]{4,14}$' } },
            cnPrefixes: { type: 'array', maxItems: 100, items: { type: 'string', pattern: '^8[0-9]{0,6}$' } },
            publicKey: PUBLIC_KEY,
          },
        },
        response: {
          201: { type: 'object', required: ['position', 'party'], properties: { position: { type: 'integer' }, party: PARTY_SCHEMA, keyId: { type: 'string' } } },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request, reply) => {
      const { publicKey, ...input } = request.body;
      const key = publicKey === undefined ? undefined : newPublicKey(publicKey);
      const result = registerTraceParty(ctx.ledger, input, key);
      return reply.status(201).send({ position: result.position, party: describe(result.party), ...(result.keyId ? { keyId: result.keyId } : {}) });
    },
  );

  app.get(
    '/v1/parties',
    {
      onRequest: ctx.auth.require(PARTY_READ_ROLES),
      schema: {
        tags: ['parties'],
        summary: 'every registered trace party, with its locations, product prefixes and keys',
        description: rolesNote(PARTY_READ_ROLES),
        security: BEARER,
        response: { 200: { type: 'object', required: ['parties'], properties: { parties: { type: 'array', items: PARTY_SCHEMA } } }, ...ERROR_RESPONSES },
      },
    },
    async () => {
      const ids = ctx.db.prepare('SELECT party FROM trace_parties ORDER BY party').pluck().all() as string[];
      const plan = new Plan(ctx.db);
      return { parties: ids.map((id) => describe(plan.party(id)!)) };
    },
  );

  app.get<{ Params: { party: string } }>(
    '/v1/parties/:party',
    {
      onRequest: ctx.auth.require(PARTY_READ_ROLES),
      schema: {
        tags: ['parties'],
        summary: 'one trace party with its keys',
        description: rolesNote(PARTY_READ_ROLES),
        security: BEARER,
        params: { type: 'object', required: ['party'], properties: { party: PARTY_ID } },
        response: { 200: PARTY_SCHEMA, ...ERROR_RESPONSES },
      },
    },
    async (request) => describe(find(request.params.party)),
  );

  app.post<{ Params: { party: string }; Body: { publicKey: string } }>(
    '/v1/parties/:party/keys',
    {
      onRequest: ctx.auth.require(PARTY_WRITE_ROLES),
      schema: {
        tags: ['parties'],
        summary: "register another Ed25519 public key for a party (an operator-signed key_registration entry)",
        description: `${rolesNote(PARTY_WRITE_ROLES)} The party's other keys stay active until revoked.`,
        security: BEARER,
        params: { type: 'object', required: ['party'], properties: { party: PARTY_ID } },
        body: { type: 'object', additionalProperties: false, required: ['publicKey'], properties: { publicKey: PUBLIC_KEY } },
        response: { 201: ENTRY_RECEIPT, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      find(request.params.party);
      const receipt = ctx.ledger.registerKey(request.params.party, newPublicKey(request.body.publicKey));
      return reply.status(201).send(keyReceipt(receipt));
    },
  );

  app.post<{ Params: { party: string; keyId: string }; Body: { publicKey: string } }>(
    '/v1/parties/:party/keys/:keyId/rotate',
    {
      onRequest: ctx.auth.require(PARTY_WRITE_ROLES),
      schema: {
        tags: ['parties'],
        summary: "replace a party's key by a new one in one operator-signed key_rotation entry: the old key signs nothing after this position",
        description: `${rolesNote(PARTY_WRITE_ROLES)} An unknown key is LEDGER_UNKNOWN_KEY; one already rotated LEDGER_KEY_ROTATED, revoked LEDGER_KEY_REVOKED; a new key registered before LEDGER_KEY_EXISTS.`,
        security: BEARER,
        params: { type: 'object', required: ['party', 'keyId'], properties: { party: PARTY_ID, keyId: { type: 'string', minLength: 1, maxLength: 128 } } },
        body: { type: 'object', additionalProperties: false, required: ['publicKey'], properties: { publicKey: PUBLIC_KEY } },
        response: { 201: ENTRY_RECEIPT, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      find(request.params.party);
      const receipt = ctx.ledger.rotateKey(request.params.party, request.params.keyId, newPublicKey(request.body.publicKey));
      return reply.status(201).send(keyReceipt(receipt));
    },
  );

  app.post<{ Params: { party: string; keyId: string }; Body: { reason?: string } | undefined }>(
    '/v1/parties/:party/keys/:keyId/revoke',
    {
      onRequest: ctx.auth.require(PARTY_WRITE_ROLES),
      schema: {
        tags: ['parties'],
        summary: "revoke a party's key (an operator-signed key_revocation entry): it signs nothing after this position",
        description: `${rolesNote(PARTY_WRITE_ROLES)} An unknown key is LEDGER_UNKNOWN_KEY; one already revoked LEDGER_KEY_REVOKED.`,
        security: BEARER,
        params: { type: 'object', required: ['party', 'keyId'], properties: { party: PARTY_ID, keyId: { type: 'string', minLength: 1, maxLength: 128 } } },
        body: { type: 'object', additionalProperties: false, properties: { reason: { type: 'string', minLength: 1, maxLength: 500 } } },
        response: { 200: ENTRY_RECEIPT, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      find(request.params.party);
      const receipt = ctx.ledger.revokeKey(request.params.party, request.params.keyId, request.body?.reason);
      return { position: receipt.position, leafHash: receipt.leafHash, entryHash: receipt.entryHash };
    },
  );
}
