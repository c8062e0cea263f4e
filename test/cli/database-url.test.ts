import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCli as run } from '../helpers/run-cli.ts';
import { DEFAULT_DB, printableLocation, resolveDbFile, sidecarBase } from '../../cli/common.ts';
import { defaultPartyKeyFile } from '../../cli/commands/party.ts';
import { demoGuideFile } from '../../cli/demo-session.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'drugtrace-dburl-'));
});
afterEach(() => {
  vi.unstubAllEnvs();
  rmSync(dir, { recursive: true, force: true });
});

const URL_WITH_PASSWORD = 'postgres://trace:s3cret@db.example:5433/drugtrace_prod?sslmode=require';

describe('the database a command uses (cli/common.ts resolveDbFile)', () => {
  it('takes --db first, then DATABASE_URL, then ./data/drugtrace.db', () => {
    vi.stubEnv('DATABASE_URL', '');
    expect(resolveDbFile(undefined)).toBe(resolve(DEFAULT_DB));
    vi.stubEnv('DATABASE_URL', URL_WITH_PASSWORD);
    expect(resolveDbFile(undefined)).toBe(URL_WITH_PASSWORD);
    expect(resolveDbFile(join(dir, 'x.db'))).toBe(join(dir, 'x.db'));
    expect(resolveDbFile('postgresql://h/other')).toBe('postgresql://h/other');
  });

  it('uses DATABASE_URL before the command\'s own default (serve --demo)', () => {
    vi.stubEnv('DATABASE_URL', URL_WITH_PASSWORD);
    expect(resolveDbFile(undefined, './data/demo.db')).toBe(URL_WITH_PASSWORD);
    vi.stubEnv('DATABASE_URL', '');
    expect(resolveDbFile(undefined, join(dir, 'demo.db'))).toBe(join(dir, 'demo.db'));
  });

  it('prints a URL without its password', () => {
    expect(printableLocation(URL_WITH_PASSWORD)).toBe('postgres://trace@db.example:5433/drugtrace_prod?sslmode=require');
    expect(printableLocation('/var/lib/drugtrace.db')).toBe('/var/lib/drugtrace.db');
  });
});

describe('key files and the demo guide of a PostgreSQL database', () => {
  it('live in DRUGTRACE_KEY_DIR under the database name', () => {
    vi.stubEnv('DRUGTRACE_KEY_DIR', dir);
    expect(sidecarBase(URL_WITH_PASSWORD)).toBe(join(dir, 'drugtrace_prod'));
    expect(defaultPartyKeyFile(URL_WITH_PASSWORD, 'pharmacy-1')).toBe(join(dir, 'drugtrace_prod.keys', 'pharmacy-1.key'));
    expect(demoGuideFile(URL_WITH_PASSWORD)).toBe(join(dir, 'drugtrace_prod.demo.json'));
  });

  it('live in the current folder without DRUGTRACE_KEY_DIR, and beside a SQLite file', () => {
    vi.stubEnv('DRUGTRACE_KEY_DIR', '');
    expect(sidecarBase('postgres://h/ledger')).toBe(resolve('ledger'));
    const file = join(dir, 'a.db');
    expect(defaultPartyKeyFile(file, 'mah')).toBe(`${file}.keys/mah.key`);
  });
});

describe('DATABASE_URL on the commands', () => {
  it('is the database of a command given no --db, and --db given explicitly wins', async () => {
    const viaEnv = join(dir, 'env.db');
    const explicit = join(dir, 'explicit.db');
    vi.stubEnv('DATABASE_URL', viaEnv);
    const add = await run(['product', 'add', '--name', 'Amoxicillin 500 mg', '--gtin', '09506000134352', '--category', 'drug', '--json']);
    expect(add.code).toBe(0);
    const listed = JSON.parse((await run(['product', 'list', '--json'])).stdout);
    expect(listed.products.map((p: { gtin: string }) => p.gtin)).toEqual(['09506000134352']);
    const other = JSON.parse((await run(['product', 'list', '--db', explicit, '--json'])).stdout);
    expect(other.products).toEqual([]);
  });

  it('builds the demo there and the query commands read it without --db', async () => {
    vi.stubEnv('DATABASE_URL', join(dir, 'demo.db'));
    const built = await run(['demo', '--json']);
    expect(built.code).toBe(0);
    const demo = JSON.parse(built.stdout);
    expect(existsSync(`${join(dir, 'demo.db')}.keys`)).toBe(true);
    const verify = await run(['verify', demo.lookAt.recalled, '--json']);
    expect(verify.code).toBe(1);
    expect(JSON.parse(verify.stdout)).toMatchObject({ verdict: 'do_not_dispense' });
    const again = await run(['demo', '--json']);
    expect(again.code).toBe(2);
    expect(JSON.parse(again.stdout).error.code).toBe('CLI_DB_EXISTS');
    expect(JSON.parse(readFileSync(demoGuideFile(join(dir, 'demo.db')), 'utf8')).lookAt.recalled).toBe(demo.lookAt.recalled);
  });
});
