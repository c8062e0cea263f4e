/**
 * Where the PostgreSQL suite mode puts a database a test names as SQLite (test/helpers/pg-mode.ts,
 * and test/helpers/pg-child/ for the processes a test starts): ':memory:' is a new database each
 * time; a file path is a database named after the absolute path, made on first open and reused
 * while the file exists (the empty file is the marker that `existsSync` checks see; when it is
 * gone, the database is made afresh). Each is a copy of the run's migrated template. Names start
 * with `dt_<run>_`, so the run's teardown drops whatever a test or its children left.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { openPostgresSql, type PgSyncConnection } from '../../schemas/pg/sync-connection.ts';
import type { SqliteStore } from '../../schemas/sqlite.ts';

export interface PgTarget {
  /** Admin URL (a database the test user may CREATE DATABASE from). */
  adminUrl: string;
  /** The migrated template database of this run: `drugtrace_template_<run>`. */
  template: string;
}

/** The prefix of every database the run's tests make. */
export function runPrefix(template: string): string {
  return `dt_${template.replace(/^drugtrace_template_/, '')}_`;
}

export function databaseUrl(adminUrl: string, name: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

/** The database standing for the SQLite file at `path`. */
export function fileDatabaseName(template: string, path: string): string {
  return `${runPrefix(template)}f_${createHash('sha256').update(resolve(path)).digest('hex').slice(0, 24)}`;
}

/**
 * What copying the file `from` to `to` does in the PostgreSQL suite mode: the database standing
 * for `to` becomes a copy of the one standing for `from` (which must have no open connection),
 * and `to` the marker file.
 */
export function copyFileDatabase(target: PgTarget, from: string, to: string): void {
  const admin = openPostgresSql(target.adminUrl);
  try {
    const source = fileDatabaseName(target.template, from);
    const copy = fileDatabaseName(target.template, to);
    admin.exec(`DROP DATABASE IF EXISTS ${copy} WITH (FORCE)`);
    admin.exec(`CREATE DATABASE ${copy} TEMPLATE ${source}`);
    writeFileSync(to, '');
  } finally {
    admin.close();
  }
}

/** An `openSqlite` that opens the PostgreSQL database standing for the location instead. */
export function redirectedOpenSqlite(target: PgTarget, onCreate: (name: string) => void = () => {}): (location: string) => SqliteStore {
  const prefix = runPrefix(target.template);
  let admin: PgSyncConnection | undefined;
  const adminSql = () => (admin ??= openPostgresSql(target.adminUrl));
  const exists = (name: string) => adminSql().prepare('SELECT 1 FROM pg_database WHERE datname = ?').get(name) !== undefined;
  const create = (name: string) => {
    adminSql().exec(`CREATE DATABASE ${name} TEMPLATE ${target.template}`);
    onCreate(name);
  };

  function databaseFor(location: string): string {
    if (location === ':memory:' || location === '') {
      const name = `${prefix}m_${randomBytes(8).toString('hex')}`;
      create(name);
      return name;
    }
    const path = resolve(location);
    const name = fileDatabaseName(target.template, path);
    if (!existsSync(path)) {
      // Throws, as SQLite would, when the folder does not exist.
      writeFileSync(path, '');
      adminSql().exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      create(name);
    } else if (!exists(name)) {
      create(name);
    }
    return name;
  }

  return (location: string) => {
    const sql = openPostgresSql(databaseUrl(target.adminUrl, databaseFor(location)));
    return { dialect: 'postgres', location, sql, close: () => sql.close() } as unknown as SqliteStore;
  };
}

/** Drops databases by name, closing whatever is still connected to them. */
export function dropDatabases(adminUrl: string, names: Iterable<string>): void {
  const list = [...names];
  if (list.length === 0) return;
  const admin = openPostgresSql(adminUrl);
  try {
    for (const name of list) admin.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    admin.close();
  }
}
