/**
 * A real listening API server on the demo chain for the fuzz and attack tests, a token for every
 * role, the route list read from the server's own OpenAPI document (so routes added later are
 * fuzzed too), and the error codes docs/api.md documents, by status.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { buildServer, type ServerOptions } from '../../api/server.ts';
import { issueToken, type ApiRole } from '../../api/auth.ts';
import { webPlugin } from '../../web/plugin.ts';
import { demoLedger, type DemoLedger } from './harness.ts';

export interface ApiFixture extends DemoLedger {
  dir: string;
  app: FastifyInstance;
  base: string;
  /** A token per role; the parties are the demo's (manufacturer mah-huaxin, distributor dist-north, dispenser pharmacy-3). */
  tokens: Record<ApiRole, string>;
  close(): Promise<void>;
}

export const ROLE_PARTIES: Record<ApiRole, string> = {
  manufacturer: 'mah-huaxin',
  distributor: 'dist-north',
  dispenser: 'pharmacy-3',
  regulator: 'nmpa',
  witness: 'witness-1',
  admin: 'operator',
};

/** The server on a new demo chain; `web: true` also serves the web pages (as drugtrace serve does). */
export async function startApi(options: Omit<ServerOptions, 'dbFile'> & { web?: boolean } = {}): Promise<ApiFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'drugtrace-rel-api-'));
  const chain = demoLedger(join(dir, 'demo.db'));
  const { web, ...serverOptions } = options;
  const app = await buildServer({ dbFile: chain.dbFile, ...serverOptions });
  if (web) await app.register(webPlugin);
  const base = (await app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
  const tokens = {} as Record<ApiRole, string>;
  for (const [role, party] of Object.entries(ROLE_PARTIES)) tokens[role as ApiRole] = issueToken(app.drugtrace.db, { party, role }).token;
  return {
    ...chain,
    dir,
    app,
    base,
    tokens,
    close: async () => {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---- the documented error codes ----------------------------------------------------------------

export interface DocumentedErrors {
  /** Exact codes and the statuses the table lists them under. */
  exact: Map<string, Set<number>>;
  /** `GS1_*`-style families: prefix and status. */
  families: Array<{ prefix: string; status: number }>;
}

const API_DOC = fileURLToPath(new URL('../../docs/api.md', import.meta.url));

/** Reads the status → codes table under "## Errors" in docs/api.md. */
export function documentedErrors(): DocumentedErrors {
  const text = readFileSync(API_DOC, 'utf8');
  const section = text.slice(text.indexOf('## Errors'));
  const exact = new Map<string, Set<number>>();
  const families: DocumentedErrors['families'] = [];
  for (const line of section.split('\n')) {
    const row = /^\| (\d{3}) \| (.*)\|\s*$/.exec(line);
    if (!row) continue;
    const status = Number(row[1]);
    for (const [, code] of row[2].matchAll(/`([A-Z][A-Z0-9_]*(?:\*)?)`/g)) {
      if (code.endsWith('*')) families.push({ prefix: code.slice(0, -1), status });
      else exact.set(code, new Set([...(exact.get(code) ?? []), status]));
    }
    // "lifecycle refusals (… from trace/lifecycle.ts)": the whole TRACE_ family may answer 409.
    if (/lifecycle refusals/.test(row[2])) families.push({ prefix: 'TRACE_', status });
  }
  if (exact.size < 10) throw new Error(`docs/api.md: found only ${exact.size} error codes; has the Errors table moved?`);
  return { exact, families };
}

/** Null when `code` is documented under `status`; otherwise what is wrong. */
export function undocumented(errors: DocumentedErrors, status: number, code: unknown): string | null {
  if (typeof code !== 'string') return `status ${status} without an error code`;
  const statuses = errors.exact.get(code);
  if (statuses) return statuses.has(status) ? null : `${code} answered ${status}, documented as ${[...statuses].join('/')}`;
  const family = errors.families.filter((f) => code.startsWith(f.prefix));
  if (family.length === 0) return `${code} (status ${status}) is not in docs/api.md`;
  return family.some((f) => f.status === status) ? null : `${code} answered ${status}, its family is documented as ${family.map((f) => f.status).join('/')}`;
}

// ---- routes from the OpenAPI document ----------------------------------------------------------

export interface RouteSpec {
  method: string;
  /** OpenAPI path, `{name}` for parameters. */
  path: string;
  pathParams: Array<{ name: string; schema: Record<string, any> }>;
  query: Array<{ name: string; required: boolean; schema: Record<string, any> }>;
  /** The application/json request body schema, if the route takes one. */
  body?: Record<string, any>;
  secured: boolean;
  /** The roles the route's description names ("Roles: a, b."); empty for public routes. */
  roles: string[];
}

export async function openApiRoutes(base: string): Promise<RouteSpec[]> {
  const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, Record<string, any>>; components?: { schemas?: Record<string, any> } };
  const routes: RouteSpec[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const params = (op.parameters ?? []) as Array<{ name: string; in: string; required?: boolean; schema?: Record<string, any> }>;
      routes.push({
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path').map((p) => ({ name: p.name, schema: p.schema ?? {} })),
        query: params.filter((p) => p.in === 'query').map((p) => ({ name: p.name, required: p.required === true, schema: p.schema ?? {} })),
        body: op.requestBody?.content?.['application/json']?.schema,
        secured: Array.isArray(op.security) && op.security.length > 0,
        roles: /Roles: ([a-z, ]+)\./.exec(String(op.description ?? ''))?.[1].split(/,\s*/) ?? [],
      });
    }
  }
  return routes;
}

/** Strings that break naive SQL, paths, HTML, URL and JSON handling. */
export const NASTY_STRINGS = [
  "' OR '1'='1",
  "'; DROP TABLE ledger_entries; --",
  '" OR ""="',
  "1' UNION SELECT token_hash, party, role, 1, 1, 1 FROM api_tokens --",
  '%',
  '_',
  '%_%',
  '\\',
  '\u0000',
  "'",
  '"',
  '`',
  ';',
  '--',
  '/*',
  '*/',
  '../../../../etc/passwd',
  '..%2f..%2f..%2fetc%2fpasswd',
  '<script>alert(1)</script>',
  '{"$gt":""}',
  '\u202e\u0000\uffff',
  '𝕏'.repeat(40),
  'A'.repeat(600),
  '-1',
  '1e309',
  'NaN',
  '0x10',
  '9007199254740993',
];
