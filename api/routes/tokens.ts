/** POST /v1/tokens: an admin issues a bearer token for a party and role; the token is shown once. */
import type { FastifyInstance } from 'fastify';
import { API_ROLES, issueToken, type ApiRole } from '../auth.ts';
import { BEARER, ERROR_RESPONSES, rolesNote, type ApiContext } from '../context.ts';

export const TOKEN_ROLES: readonly ApiRole[] = ['admin'];

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
}
