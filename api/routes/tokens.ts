/**
 * Bearer tokens, for the admin: POST /v1/tokens issues one for a party and role (shown once;
 * only its SHA-256 is stored), GET /v1/tokens lists them (never a hash), and
 * POST /v1/tokens/:tokenId/revoke revokes one (its next request is 401 AUTH_INVALID_TOKEN).
 */
import type { FastifyInstance } from 'fastify';
import { API_ROLES, issueToken, listTokens, revokeToken, type ApiRole } from '../auth.ts';
import { BEARER, ERROR_RESPONSES, rolesNote, type ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';

export const TOKEN_ROLES: readonly ApiRole[] = ['admin'];

const TOKEN_INFO = {
  type: 'object',
  required: ['tokenId', 'party', 'role', 'label', 'createdAt', 'revokedAt'],
  properties: {
    tokenId: { type: 'string' },
    party: { type: 'string' },
    role: { type: 'string' },
    label: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
    revokedAt: { type: ['string', 'null'] },
  },
} as const;

export function tokenRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post<{ Body: { party: string; role: ApiRole; label?: string } }>(
    '/v1/tokens',
    {
      onRequest: ctx.auth.require(TOKEN_ROLES),
      schema: {
        tags: ['auth'],
        summary: 'issue a bearer token for a party (shown once; only its SHA-256 is stored)',
        description: rolesNote(TOKEN_ROLES),
        security: BEARER,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['party', 'role'],
          properties: {
            party: { type: 'string', pattern: '^[A-Za-z0-9._:@/-]{1,128}$' },
            role: { type: 'string', enum: [...API_ROLES] },
            label: { type: 'string', maxLength: 200 },
          },
        },
        response: {
          201: {
            type: 'object',
            required: ['token', 'tokenId', 'party', 'role', 'createdAt'],
            properties: { token: { type: 'string' }, tokenId: { type: 'string' }, party: { type: 'string' }, role: { type: 'string' }, createdAt: { type: 'string' } },
          },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request, reply) => reply.status(201).send(issueToken(ctx.db, request.body)),
  );

  app.get(
    '/v1/tokens',
    {
      onRequest: ctx.auth.require(TOKEN_ROLES),
      schema: {
        tags: ['auth'],
        summary: 'every token ever issued: id, party, role, label, created, revoked (never the token or its hash)',
        description: rolesNote(TOKEN_ROLES),
        security: BEARER,
        response: { 200: { type: 'object', required: ['tokens'], properties: { tokens: { type: 'array', items: TOKEN_INFO } } }, ...ERROR_RESPONSES },
      },
    },
    async () => ({ tokens: listTokens(ctx.db) }),
  );

  app.post<{ Params: { tokenId: string } }>(
    '/v1/tokens/:tokenId/revoke',
    {
      onRequest: ctx.auth.require(TOKEN_ROLES),
      schema: {
        tags: ['auth'],
        summary: 'revoke a token: from now on it is AUTH_INVALID_TOKEN',
        description: `${rolesNote(TOKEN_ROLES)} An unknown or already revoked token is 404 TOKEN_NOT_FOUND.`,
        security: BEARER,
        params: { type: 'object', required: ['tokenId'], properties: { tokenId: { type: 'string', pattern: '^[0-9a-f]{12}$' } } },
        response: { 200: TOKEN_INFO, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { tokenId } = request.params;
      if (!revokeToken(ctx.db, tokenId)) throw new ApiError(404, 'TOKEN_NOT_FOUND', `no unrevoked token ${tokenId}`, { tokenId });
      return listTokens(ctx.db).find((t) => t.tokenId === tokenId)!;
    },
  );
}
