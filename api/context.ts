/** What every route module is given: the one ledger, its connection, and the auth guard. */
import type { SqlConnection } from '../schemas/connection.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { Auth } from './plugins/auth.ts';

export interface ApiContext {
  ledger: Ledger;
  db: SqlConnection;
  auth: Auth;
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
