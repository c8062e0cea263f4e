/**
 * `drugtrace backup --to FILE [--db FILE]`: an online copy of a whole SQLite database (the ledger,
 * its projections, codes issued, tokens, alerts, everything) taken while the server keeps
 * serving, then verified. One `VACUUM INTO` statement: it reads one consistent snapshot (a
 * writer's open transaction is not in it, and in WAL mode writers are not held up) and writes a
 * compact file. The secrets are not in the database and not copied: the operator key
 * (`<db>.operator-key`) and party keys (`<db>.keys/`) are backed up apart, by whoever guards them.
 *
 * PostgreSQL has its own tools (pg_dump, pg_basebackup, WAL archiving); a postgres:// source is a
 * usage error saying so.
 */
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { defaultKeyFile } from '../../ledger/ledger.ts';
import { verifyLedger } from '../../ledger/verify.ts';
import { isPostgresUrl, openStore } from '../../schemas/store.ts';
import { CliExit, DB_HELP, EXIT, holdsLedger, output, printableLocation, resolveDbFile, sidecarBase } from '../common.ts';
import { describeReport } from './ledger.ts';

function usage(code: string, message: string, details: Record<string, unknown>): never {
  throw new CliExit(EXIT.usage, `drugtrace backup: ${message}`, { ok: false, error: { code, message, details } });
}

export function register(program: Command): void {
  program
    .command('backup')
    .description('copy the whole SQLite database while it is in use (one consistent snapshot), then verify the copy')
    .requiredOption('--to <file>', 'the new backup file (must not exist)')
    .option('--db <location>', DB_HELP)
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      '\nThe operator key file and party keys are not copied (they are secrets kept beside the database, not in it).\n' +
        'Exit 0 when the copy verifies, 1 when it does not (the file is kept for inspection), 2 when the source holds\n' +
        'no ledger, is a PostgreSQL URL (use pg_dump or pg_basebackup), the target exists or cannot be written.',
    )
    .action((opts: { db?: string; to: string; json?: boolean }) => {
      const out = output(opts);
      const from = resolveDbFile(opts.db);
      if (isPostgresUrl(from)) {
        usage('CLI_BACKUP_SQLITE_ONLY', `${printableLocation(from)} is a PostgreSQL database: back it up with pg_dump, pg_basebackup or WAL archiving`, { db: printableLocation(from) });
      }
      if (!holdsLedger(from)) usage('LEDGER_NOT_INITIALIZED', `${from} holds no ledger`, { db: from });
      const to = resolve(opts.to);
      if (existsSync(to)) usage('CLI_TARGET_EXISTS', `${to} exists; a backup never overwrites a file`, { to });

      const source = openStore(from);
      try {
        mkdirSync(dirname(to), { recursive: true });
        source.sql.prepare('VACUUM INTO ?').run(to);
      } catch (err) {
        // Nothing half-written is left behind under the backup's name.
        if (existsSync(to)) rmSync(to);
        const reason = err instanceof Error ? err.message : String(err);
        usage('CLI_BACKUP_FAILED', `could not write ${to}: ${reason}`, { to, reason });
      } finally {
        source.close();
      }
      const copy = openStore(to);
      let report;
      try {
        report = verifyLedger(copy);
      } finally {
        copy.close();
      }
      // The secrets beside the database, which a restore needs as well.
      const notCopied = [defaultKeyFile(from), `${sidecarBase(from)}.keys`].filter((f) => existsSync(f));
      const result = { ok: report.ok, from, to, bytes: statSync(to).size, verify: report, notCopied };
      if (!report.ok) throw new CliExit(EXIT.no, `drugtrace backup: the copy in ${to} does not verify: ${describeReport(report)}`, result);
      out.result(
        result,
        () =>
          `backed up ${from} to ${to} (${result.bytes} bytes)\nverified: ${describeReport(report)}` +
          (notCopied.length > 0 ? `\nnot copied (secrets; keep them backed up apart): ${notCopied.join(', ')}` : ''),
      );
    });
}
