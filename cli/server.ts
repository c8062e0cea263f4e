/**
 * The CLI against a DrugTrace API server: --server URL and --token T (or DRUGTRACE_SERVER /
 * DRUGTRACE_TOKEN) on the commands that can run remotely, the typed client, and the mapping of a
 * server's refusals onto the local mode's exit codes.
 */
import type { Command } from 'commander';
import { ApiClientError, DrugTraceClient } from '../api/client.ts';
import { CliExit, EXIT } from './common.ts';

/** Query errors that mean the input was malformed (exit 2), locally and from a server. */
export const USAGE_QUERY_CODES = new Set(['TRACE_QUERY_BAD_CODE', 'TRACE_QUERY_BAD_PARAMETER', 'TRACE_QUERY_AMBIGUOUS_LOT']);

export interface ServerOptions {
  server?: string;
  token?: string;
}

/** Adds --server and --token (or DRUGTRACE_SERVER / DRUGTRACE_TOKEN) to a command. */
export function serverOptions(command: Command): Command {
  return command
    .option('--server <url>', 'ask this DrugTrace API server instead of a local database (or DRUGTRACE_SERVER)')
    .option('--token <token>', 'bearer token for --server (or DRUGTRACE_TOKEN)');
}

/** The API client when the command runs against a server (option or environment), else undefined. */
export function serverClient(opts: ServerOptions, command: string): DrugTraceClient | undefined {
  const server = opts.server ?? process.env.DRUGTRACE_SERVER;
  if (!server) return undefined;
  const token = opts.token ?? process.env.DRUGTRACE_TOKEN;
  try {
    return new DrugTraceClient({ baseUrl: server, token: token || undefined });
  } catch (err) {
    return serverExit(err, command);
  }
}

const USAGE_SERVER_STATUSES = new Set([401, 403, 413, 415, 429]);

/**
 * A server's refusal, mapped as the local mode maps it: malformed input, auth and transport
 * problems exit 2; a well-formed question answered "no" (unknown code, lifecycle refusal) exits 1.
 */
export function serverExit(err: unknown, command: string): never {
  if (!(err instanceof ApiClientError)) throw err;
  const usage =
    err.status === 0 ||
    err.status >= 500 ||
    USAGE_SERVER_STATUSES.has(err.status) ||
    USAGE_QUERY_CODES.has(err.code) ||
    err.code.startsWith('REQUEST_') ||
    err.code.startsWith('CLIENT_');
  throw new CliExit(usage ? EXIT.usage : EXIT.no, `drugtrace ${command}: ${err.code}${err.status ? ` (HTTP ${err.status})` : ''}: ${err.message}`, {
    ok: false,
    error: { code: err.code, message: err.message, details: err.details, status: err.status },
  });
}
