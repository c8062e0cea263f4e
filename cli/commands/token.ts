/**
 * `drugtrace token issue|list|revoke`: the API's bearer tokens, managed on the database itself by
 * whoever runs the server (docs/api.md). The same records as POST/GET/DELETE /v1/tokens, for when
 * no admin token is at hand: the first one was lost, or a leaked one must be revoked now. A token
 * is shown once when issued; only its SHA-256 is stored. A server running on the same database
 * sees a revocation made here within its token cache's lifetime (TOKEN_CACHE_TTL_MS, 5 s).
 */
import type { Command } from 'commander';
import { API_ROLES, issueToken, listTokens, revokeToken, TOKEN_CACHE_TTL_MS } from '../../api/auth.ts';
import { ApiError } from '../../api/errors.ts';
import { CliExit, DB_HELP, EXIT, output } from '../common.ts';
import { openLedger } from './ledger.ts';

export function register(program: Command): void {
  const token = program.command('token').description("the HTTP API's bearer tokens on this database: issue (shown once), list, revoke");

  token
    .command('issue')
    .description('issue a bearer token for a party and role; it is printed once, only its hash is stored')
    .requiredOption('--party <id>', 'the party the token acts for (letters, digits, . _ : @ / -)')
    .requiredOption('--role <role>', API_ROLES.join(', '))
    .option('--label <text>', 'what the token is for (shown by token list)')
    .option('--db <file|url>', DB_HELP)
    .option('--json', 'print one JSON document')
    .action((opts: { party: string; role: string; label?: string; db?: string; json?: boolean }) => {
      const out = output(opts);
      const ledger = openLedger(opts.db, 'token issue');
      try {
        let issued;
        try {
          issued = issueToken(ledger.store.sql, { party: opts.party, role: opts.role, label: opts.label });
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
          throw new CliExit(EXIT.usage, `drugtrace token issue: ${err.message}`, { ok: false, error: { code: err.code, message: err.message, details: err.details } });
        }
        out.result({ ok: true, ...issued }, () => `token ${issued.tokenId} for ${issued.party} (${issued.role}); shown once, only its hash is stored:\n${issued.token}`);
      } finally {
        ledger.close();
      }
    });

  token
    .command('list')
    .description('every token issued: id, party, role, label, created, revoked (never the token or its hash)')
    .option('--db <file|url>', DB_HELP)
    .option('--json', 'print one JSON document')
    .action((opts: { db?: string; json?: boolean }) => {
      const out = output(opts);
      const ledger = openLedger(opts.db, 'token list');
      try {
        const tokens = listTokens(ledger.store.sql);
        out.result({ ok: true, tokens }, () =>
          tokens.length === 0
            ? 'no tokens issued'
            : tokens.map((t) => `${t.tokenId}  ${t.party}  ${t.role}  created ${t.createdAt}${t.revokedAt ? `  revoked ${t.revokedAt}` : ''}${t.label ? `  ${t.label}` : ''}`).join('\n'),
        );
      } finally {
        ledger.close();
      }
    });

  token
    .command('revoke')
    .description(`revoke a token by its id (a server on this database stops accepting it within ${TOKEN_CACHE_TTL_MS / 1000} s)`)
    .argument('<id>', 'the token id (token list)')
    .option('--db <file|url>', DB_HELP)
    .option('--json', 'print one JSON document')
    .action((id: string, opts: { db?: string; json?: boolean }) => {
      const out = output(opts);
      const ledger = openLedger(opts.db, 'token revoke');
      try {
        if (!revokeToken(ledger.store.sql, id)) {
          const message = `no token ${id} to revoke (unknown, or revoked already)`;
          throw new CliExit(EXIT.no, `drugtrace token revoke: ${message}`, { ok: false, error: { code: 'TOKEN_NOT_FOUND', message, details: { tokenId: id } } });
        }
        out.result({ ok: true, tokenId: id, revoked: true }, () => `revoked token ${id}`);
      } finally {
        ledger.close();
      }
    });
}
