/**
 * `drugtrace serve [--port N] [--host H] [--db FILE]`: the HTTP API over an existing ledger. On a
 * database with no admin token it issues one and prints it once (only its hash is kept). Stops
 * gracefully on SIGTERM/SIGINT: in-flight requests finish, then the ledger closes.
 *
 * `--allow-private-webhooks` (or DRUGTRACE_ALLOW_PRIVATE_WEBHOOKS=1) lets webhooks target non-public
 * addresses (api/webhook-targets.ts); by default only public ones. `--trust-proxy` names the reverse
 * proxies whose X-Forwarded-For is believed (the client address keys the rate limits).
 *
 * `drugtrace serve --demo` (`npm start`): the same over the demo supply chain, built in --db
 * (default ./data/demo.db) on the first run and reused after, printing where to look and demo
 * tokens (cli/demo-session.ts).
 */
import { isIP } from 'node:net';
import type { Command } from 'commander';
import { buildServer } from '../../api/server.ts';
import { webPlugin } from '../../web/plugin.ts';
import { hasAdminToken, issueToken } from '../../api/auth.ts';
import { LedgerError } from '../../ledger/entry.ts';
import { CliExit, EXIT, holdsLedger, output, printableLocation, resolveDbFile } from '../common.ts';
import { DEFAULT_DEMO_DB, demoGuideText, demoLinks, issueDemoTokens, prepareDemo, type DemoToken } from '../demo-session.ts';

export function register(program: Command): void {
  program
    .command('serve')
    .description('HTTP API (OpenAPI at /openapi.json, Swagger UI at /docs) over an existing ledger')
    .option('--port <n>', 'TCP port (0 picks a free one)', '3000')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--db <file|url>', `SQLite file or postgres:// URL (default: $DATABASE_URL, else ./data/drugtrace.db; with --demo ${DEFAULT_DEMO_DB})`)
    .option('--demo', 'serve the demo supply chain: built in --db on the first run, reused after; prints where to look and demo tokens')
    .option('--log', 'structured request logs (JSON) on stderr')
    .option(
      '--allow-private-webhooks',
      'let webhooks target loopback, private, link-local and other non-public addresses (or DRUGTRACE_ALLOW_PRIVATE_WEBHOOKS=1); by default only public addresses, against request forgery into the server\'s network',
    )
    .option(
      '--trust-proxy <addresses>',
      "the reverse proxies in front of the server, comma-separated addresses or CIDR ranges (or loopback, linklocal, uniquelocal): their X-Forwarded-For names the client, whose address keys the rate limits; by default the connecting peer is the client",
    )
    .option('--json', 'print one JSON document (url, docs, adminToken if issued, demo links and tokens) once listening')
    .action(async (opts: { port: string; host: string; db?: string; demo?: boolean; log?: boolean; json?: boolean; allowPrivateWebhooks?: boolean; trustProxy?: string }) => {
      const out = output(opts);
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new CliExit(EXIT.usage, `drugtrace serve: --port ${opts.port} is not a port number`, { ok: false, error: { code: 'CLI_BAD_PORT', message: `--port ${opts.port} is not a port number` } });
      }
      const allowPrivateTargets = opts.allowPrivateWebhooks === true || envFlag('DRUGTRACE_ALLOW_PRIVATE_WEBHOOKS');
      const trustProxy = opts.trustProxy === undefined ? undefined : proxyList(opts.trustProxy);
      const file = resolveDbFile(opts.db, opts.demo ? DEFAULT_DEMO_DB : undefined);
      // Progress goes to stderr even with --json: the build takes a few seconds.
      const demo = opts.demo ? prepareDemo(file, (line) => process.stderr.write(line + '\n')) : undefined;
      if (!demo && !holdsLedger(file)) {
        const shown = printableLocation(file);
        throw new CliExit(EXIT.usage, `drugtrace serve: ${shown} holds no ledger; run drugtrace init (or drugtrace demo) first`, {
          ok: false,
          error: { code: 'LEDGER_NOT_INITIALIZED', message: `${shown} holds no ledger`, details: { file: shown } },
        });
      }
      let app: Awaited<ReturnType<typeof buildServer>>;
      try {
        app = await buildServer({ dbFile: file, logger: opts.log ? { level: 'info', stream: process.stderr } : false, webhooks: { allowPrivateTargets }, trustProxy });
      } catch (err) {
        if (err instanceof LedgerError) throw new CliExit(EXIT.usage, `drugtrace serve: ${err.code}: ${err.message}`, { ok: false, error: { code: err.code, message: err.message, details: err.details } });
        throw err;
      }
      if (allowPrivateTargets) out.info('webhooks may target private and loopback addresses (--allow-private-webhooks)');
      // The web pages under /web/ (scan, recall report, offline proof check): docs/web.md.
      await app.register(webPlugin);
      const db = app.drugtrace.db;
      let demoTokens: DemoToken[] | undefined;
      let admin: string | null;
      if (demo) {
        demoTokens = issueDemoTokens(db, demo.demo);
        admin = demoTokens.find((t) => t.role === 'admin')!.token;
      } else {
        admin = hasAdminToken(db) ? null : issueToken(db, { party: 'operator', role: 'admin', label: 'first admin token, from drugtrace serve' }).token;
      }
      // Signal handlers go in before the URL is printed: a supervisor may stop us right after reading it.
      const stopped = new Promise<void>((resolveStop) => {
        const stop = (signal: string) => {
          out.info(`${signal}: finishing in-flight requests, then closing the ledger`);
          process.off('SIGTERM', onTerm);
          process.off('SIGINT', onInt);
          app.close().then(() => resolveStop(), () => resolveStop());
        };
        const onTerm = () => stop('SIGTERM');
        const onInt = () => stop('SIGINT');
        process.on('SIGTERM', onTerm);
        process.on('SIGINT', onInt);
      });
      let address: string;
      try {
        address = await app.listen({ port, host: opts.host });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EADDRINUSE' && code !== 'EADDRNOTAVAIL' && code !== 'EACCES') throw err;
        await app.close();
        throw new CliExit(EXIT.usage, `drugtrace serve: cannot listen on ${opts.host}:${port} (${code}); pass another --port (0 picks a free one)`, {
          ok: false,
          error: { code: 'CLI_CANNOT_LISTEN', message: `cannot listen on ${opts.host}:${port}`, details: { host: opts.host, port, reason: code } },
        });
      }
      const url = address.replace(/\/$/, '');
      const links = demo ? demoLinks(url, demo.built, demo.demo, demoTokens!) : undefined;
      out.result({ ok: true, url, docs: `${url}/docs`, openapi: `${url}/openapi.json`, ...(admin ? { adminToken: admin } : {}), ...(links ? { demo: links } : {}) }, () =>
        [
          `DrugTrace API listening on ${url}`,
          `API docs: ${url}/docs  (OpenAPI: ${url}/openapi.json)`,
          ...(links
            ? ['', demoGuideText(url, links, demo!.demo)]
            : admin
              ? [`Admin token (shown once; only its hash is stored): ${admin}`, `  issue party tokens with POST ${url}/v1/tokens`]
              : []),
        ].join('\n'),
      );
      await stopped;
    });
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** `--trust-proxy`: addresses, CIDR ranges or proxy-addr's range names; anything else is a usage error naming the entry. */
function proxyList(value: string): string[] {
  const entries = value.split(',').map((e) => e.trim());
  for (const entry of entries) {
    const [address, prefix, extra] = entry.split('/');
    const version = isIP(address ?? '');
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 6 ? 128 : 32));
    if (PROXY_NAMES.has(entry) || (version !== 0 && prefixOk && extra === undefined)) continue;
    throw new CliExit(EXIT.usage, `drugtrace serve: --trust-proxy entry ${JSON.stringify(entry)} is not an IP address, a CIDR range (10.0.0.0/8) or one of loopback, linklocal, uniquelocal`, {
      ok: false,
      error: { code: 'CLI_BAD_TRUST_PROXY', message: `--trust-proxy entry ${JSON.stringify(entry)} is not an address, a CIDR range or a range name`, details: { entry } },
    });
  }
  return entries;
}

/** An on/off environment variable: 1/true/yes on, 0/false/no/empty or unset off; anything else is a usage error. */
function envFlag(name: string): boolean {
  const value = (process.env[name] ?? '').trim().toLowerCase();
  if (['1', 'true', 'yes'].includes(value)) return true;
  if (['', '0', 'false', 'no'].includes(value)) return false;
  throw new CliExit(EXIT.usage, `drugtrace serve: ${name}=${process.env[name]} is not 1/true/yes or 0/false/no`, {
    ok: false,
    error: { code: 'CLI_BAD_ENV', message: `${name} is not 1/true/yes or 0/false/no`, details: { variable: name, value: process.env[name] } },
  });
}
