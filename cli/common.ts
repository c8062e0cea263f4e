import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { isPostgresUrl, openStore, withoutPassword } from '../schemas/store.ts';

/** Exit codes scripts rely on (DESIGN.md §10). */
export const EXIT = {
  ok: 0,
  /** The answer is "no": an invalid code, a failed verification. */
  no: 1,
  /** The command was used wrongly: unknown option, missing argument, unreadable input file. */
  usage: 2,
} as const;

/** Thrown by commands to end with a given exit code and a message on stderr. */
export class CliExit extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
    /** Printed on stdout instead of the message when the command runs with --json. */
    readonly json?: unknown,
  ) {
    super(message);
  }
}

export const DEFAULT_DB = './data/drugtrace.db';

/** The help of every `--db` option. */
export const DB_HELP = 'SQLite file or postgres:// URL (default: $DATABASE_URL, else ./data/drugtrace.db)';

/**
 * The database a command uses: `--db` (a SQLite file or a `postgres://` URL), else the
 * `DATABASE_URL` environment variable, else `fallback` (./data/drugtrace.db). A URL is returned as
 * given; a file path is made absolute and its folder created.
 */
export function resolveDbFile(db: string | undefined, fallback: string = DEFAULT_DB): string {
  const location = db ?? (process.env.DATABASE_URL || undefined) ?? fallback;
  if (isPostgresUrl(location)) return location;
  const file = resolve(location);
  mkdirSync(dirname(file), { recursive: true });
  return file;
}

/** A database location as it may be printed: a URL without its password. */
export function printableLocation(location: string): string {
  return isPostgresUrl(location) ? withoutPassword(location) : location;
}

/**
 * Whether `location` holds a ledger already: a SQLite file that exists (a file is only ever made by
 * init or demo), or a PostgreSQL database whose ledger has been initialised (an empty database is
 * migrated on the way, which changes nothing a later init needs).
 */
export function holdsLedger(location: string): boolean {
  if (!isPostgresUrl(location)) return existsSync(location);
  const store = openStore(location);
  try {
    return store.sql.prepare('SELECT 1 FROM ledger_meta LIMIT 1').get() !== undefined;
  } finally {
    store.close();
  }
}

/**
 * The path that files belonging to a database are named after (`<base>.keys/<party>.key`,
 * `<base>.demo.json`, and the ledger's `<base>.operator-key`): a SQLite file itself; for a
 * PostgreSQL URL the database's name in the folder `DRUGTRACE_KEY_DIR` (default: the current one).
 */
export function sidecarBase(location: string): string {
  if (!isPostgresUrl(location)) return location;
  return join(resolve(process.env.DRUGTRACE_KEY_DIR || '.'), postgresDatabaseName(location));
}

/** The database named by a PostgreSQL URL (its path; `postgres` when it names none, as libpq defaults to the user's name we cannot know). */
export function postgresDatabaseName(url: string): string {
  let name = '';
  try {
    name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  } catch {
    name = '';
  }
  return name || 'postgres';
}

export interface Output {
  json: boolean;
  /** With --json: one JSON document on stdout. Without: the human text. */
  result(value: unknown, human: () => string): void;
  /** Progress and notes for people go to stderr, so stdout stays parseable. */
  info(line: string): void;
}

export function output(opts: { json?: boolean }): Output {
  const json = Boolean(opts.json);
  return {
    json,
    result(value, human) {
      process.stdout.write(json ? JSON.stringify(value) + '\n' : human() + '\n');
    },
    info(line) {
      if (!json) process.stderr.write(line + '\n');
    },
  };
}
