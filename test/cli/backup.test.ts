/**
 * `drugtrace backup --to FILE`: an online, verified copy of the whole SQLite database. It holds
 * every table (not only the ledger), is one consistent snapshot even while a writer holds an open
 * transaction, carries no secret, and never overwrites a file. PostgreSQL is refused with the
 * tools to use instead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { runDemo } from '../../trace/demo.ts';
import { onPostgres } from '../helpers/dialect.ts';
import { runCli } from '../helpers/run-cli.ts';

let dir: string;
let db: string;

/** Row counts of every table of a SQLite file. */
function tableCounts(file: string): Record<string, number> {
  const conn = new Database(file, { readonly: true });
  try {
    const tables = conn.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[];
    return Object.fromEntries(tables.map((t) => [t, conn.prepare(`SELECT count(*) FROM "${t}"`).pluck().get() as number]));
  } finally {
    conn.close();
  }
}

// The command copies SQLite files; on PostgreSQL the suites' databases are not files (its refusal
// of a postgres:// URL is tested here on SQLite).
describe.skipIf(onPostgres)('drugtrace backup', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'drugtrace-backup-'));
    db = join(dir, 'demo.db');
    runDemo(db);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('copies every table, verifies the copy to the same root as the source, and copies no secret', async () => {
    const to = join(dir, 'copy-1.db');
    const run = await runCli(['backup', '--db', db, '--to', to, '--json']);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    const source = JSON.parse((await runCli(['ledger', 'verify', '--db', db, '--json'])).stdout);
    expect(result).toMatchObject({ ok: true, from: db, to, verify: { ok: true, size: source.size, root: source.root } });
    expect(result.bytes).toBeGreaterThan(0);
    const counts = tableCounts(to);
    expect(counts).toEqual(tableCounts(db));
    expect(counts.trace_units).toBeGreaterThan(0);
    expect(counts.ledger_entries).toBe(source.size);
    expect(result.notCopied).toContain(`${db}.operator-key`);
    expect(existsSync(`${to}.operator-key`)).toBe(false);
  });

  it("is one consistent snapshot while a writer holds an open transaction: the writer's rows are not in it, and the writer is not held up", async () => {
    const writer = new Database(db);
    const to = join(dir, 'copy-2.db');
    try {
      writer.exec("BEGIN IMMEDIATE; INSERT INTO trace_parties (party, name, role, registered_at) VALUES ('in-flight', 'not committed', 'other', 0)");
      const run = await runCli(['backup', '--db', db, '--to', to, '--json']);
      expect(run.code).toBe(0);
      writer.exec('COMMIT');
    } finally {
      writer.close();
    }
    const copy = new Database(to, { readonly: true });
    try {
      expect(copy.prepare("SELECT count(*) FROM trace_parties WHERE party = 'in-flight'").pluck().get()).toBe(0);
    } finally {
      copy.close();
    }
    expect(tableCounts(db).trace_parties).toBe(tableCounts(to).trace_parties + 1);
  });

  it('exits 2 with CLI_TARGET_EXISTS and leaves an existing file as it was', async () => {
    const to = join(dir, 'taken.db');
    writeFileSync(to, 'precious');
    const run = await runCli(['backup', '--db', db, '--to', to, '--json']);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, error: { code: 'CLI_TARGET_EXISTS', details: { to } } });
    expect(readFileSync(to, 'utf8')).toBe('precious');
  });

  it('makes the folder of a new target, and exits 2 with CLI_BACKUP_FAILED naming the target when it cannot be written', async () => {
    const nested = join(dir, 'backups', 'daily', 'copy-3.db');
    expect((await runCli(['backup', '--db', db, '--to', nested, '--json'])).code).toBe(0);
    expect(existsSync(nested)).toBe(true);
    writeFileSync(join(dir, 'a-file'), '');
    const blocked = join(dir, 'a-file', 'copy-4.db');
    const run = await runCli(['backup', '--db', db, '--to', blocked, '--json']);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, error: { code: 'CLI_BACKUP_FAILED', details: { to: blocked } } });
  });

  it('exits 2 with LEDGER_NOT_INITIALIZED for a file that holds no ledger, and CLI_BACKUP_SQLITE_ONLY for a PostgreSQL URL (naming the tools to use)', async () => {
    const missing = await runCli(['backup', '--db', join(dir, 'missing.db'), '--to', join(dir, 'x.db'), '--json']);
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout).error.code).toBe('LEDGER_NOT_INITIALIZED');
    const pg = await runCli(['backup', '--db', 'postgres://user:secret@db.invalid/drugtrace', '--to', join(dir, 'y.db'), '--json']);
    expect(pg.code).toBe(2);
    const error = JSON.parse(pg.stdout).error;
    expect(error).toMatchObject({ code: 'CLI_BACKUP_SQLITE_ONLY' });
    expect(error.message).toMatch(/pg_dump/);
    expect(pg.stdout).not.toContain('secret');
    expect(existsSync(join(dir, 'x.db')) || existsSync(join(dir, 'y.db'))).toBe(false);
  });
});
