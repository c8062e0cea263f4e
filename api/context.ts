/** What every route module is given: the one ledger, its connection, and the auth guard. */
import type { SqlConnection } from '../schemas/connection.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { Auth } from './plugins/auth.ts';

export interface ApiContext {
  ledger: Ledger;
  db: SqlConnection;
  auth: Auth;
  /** How long an Idempotency-Key's first answer is replayed (api/plugins/idempotency.ts). */
  idempotencyTtlMs: number;
}

/** Error responses every route may give, for the OpenAPI document. */
export const ERROR_RESPONSES = {
  '4xx': { $ref: 'ApiError#' },
  '5xx': { $ref: 'ApiError#' },
} as const;

/** OpenAPI security requirement of guarded routes. */
export const BEARER = [{ bearer: [] }];

/** The roles of a guarded route, said in its OpenAPI description too. */
export function rolesNote(roles: readonly string[]): string {
  return `Roles: ${roles.join(', ')}.`;
}

/**
 * The fields of a body signed with a party's Ed25519 key: who signs (`signer`), when it says it
 * signed (`claimedTime`) and the base64 signature over the entry body the server derives.
 */
export function signedFields(signatureDescription = 'base64 Ed25519 signature') {
  return {
    signer: {
      type: 'object',
      additionalProperties: false,
      required: ['party', 'keyId'],
      properties: { party: { type: 'string', minLength: 1, maxLength: 128 }, keyId: { type: 'string', minLength: 1, maxLength: 128 } },
    },
    claimedTime: { type: 'string', format: 'date-time' },
    signature: { type: 'string', pattern: '^[A-Za-z0-9+/]+={0,2}$', maxLength: 200, description: signatureDescription },
  } as const;
}
