/**
 * The server and the CLI on a real PostgreSQL, end to end: `drugtrace serve --demo --db
 * postgres://…` in its own process builds the demo chain in an empty database once and serves it;
 * over HTTP a manufacturer issues codes and captures them, a pharmacy dispenses, a regulator reads a
 * history, a recall report, the checkpoint, an inclusion proof and a proof bundle that verifies
 * offline; a CLI command given DATABASE_URL and no --db reads the same database; and PostgreSQL's
 * storage faults answer as docs/api.md says.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiClientError, DrugTraceClient } from '../../api/client.ts';
import { domainError } from '../../api/errors.ts';
import { signSubmission } from '../../api/sign.ts';
import { readPartyKeyFile } from '../../cli/commands/party.ts';
import { verifyBundle } from '../../ledger/bundle.ts';
import { fromBase64 } from '../../ledger/bytes.ts';
import { sha256 } from '../../ledger/crypto-node.ts';
import { verifyInclusion } from '../../ledger/merkle.ts';
import { openPostgresSql, SqlError } from '../../schemas/pg/sync-connection.ts';
import { DEMO_PARTIES } from '../../trace/demo.ts';
import { freshDatabase } from '../helpers/postgres.ts';
import { EventFactory, epcisDocument } from '../trace/helpers/chain.ts';

const BIN = fileURLToPath(new URL('../../bin/drugtrace.js', import.meta.url));
const MAH = DEMO_PARTIES.find((p) => p.role === 'manufacturer')!;
const PHARMACY_3 = DEMO_PARTIES.find((p) => p.id === 'pharmacy-3')!;

interface Served {
  child: ChildProcess;
  url: string;
  demo: {
    built: boolean;
    db: string;
    tokens: Array<{ party: string; role: string; token: string }>;
    recallLot: { gtin: string; lot: string };
  };
}

let database: Awaited<ReturnType<typeof freshDatabase>>;
let keyDir: string;
let env: NodeJS.ProcessEnv;

/** Runs the real CLI in its own process; resolves with its exit code and output. */
function cli(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** `drugtrace serve --demo --db URL --port 0 --json`, resolved once it printed where it listens. */
function serve(): Promise<Served> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--demo', '--db', database.url, '--port', '0', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    child.stdout.on('data', (c) => {
      stdout += c;
      const line = stdout.split('\n')[0];
      if (stdout.includes('\n')) {
        const doc = JSON.parse(line) as { url: string; demo: Served['demo'] };
        resolve({ child, url: doc.url, demo: doc.demo });
      }
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code} before listening: ${stderr}`)));
  });
}

async function stop(s: Served): Promise<number | null> {
  if (s.child.exitCode !== null) return s.child.exitCode;
  const exited = new Promise<number | null>((resolve) => s.child.once('exit', (code) => resolve(code)));
  s.child.kill('SIGTERM');
  return exited;
}

/** The demo guide serve --demo kept beside the database's key files (cli/demo-session.ts). */
function guide(): { lookAt: { okToDispense: string; history: string; recalled: string } } {
  return JSON.parse(readFileSync(join(keyDir, `${database.name}.demo.json`), 'utf8'));
}

let served: Served;
const token = (role: string, party?: string) => served.demo.tokens.find((t) => t.role === role && (party === undefined || t.party === party))!.token;
const client = (t?: string) => new DrugTraceClient({ baseUrl: served.url, token: t });

beforeAll(async () => {
  database = await freshDatabase();
  keyDir = mkdtempSync(join(tmpdir(), 'drugtrace-pg-keys-'));
  env = { ...process.env, DRUGTRACE_KEY_DIR: keyDir, DATABASE_URL: '' };
  served = await serve();
}, 300_000);

afterAll(async () => {
  if (served) await stop(served);
  await database?.drop();
  rmSync(keyDir, { recursive: true, force: true });
});

describe('drugtrace serve --demo on an empty PostgreSQL database', () => {
  it('builds the demo chain there, keeps its key files in DRUGTRACE_KEY_DIR, and prints the URL without its password', () => {
    expect(served.demo.built).toBe(true);
    expect(served.demo.db).not.toContain(new URL(database.url).password);
    expect(existsSync(join(keyDir, `${database.name}.operator-key`))).toBe(true);
    expect(existsSync(join(keyDir, `${database.name}.keys`, `${MAH.id}.key`))).toBe(true);
    expect(existsSync(join(keyDir, `${database.name}.demo.json`))).toBe(true);
  });

  it('serves the whole API over HTTP: issue, capture, verify, dispense, history, recall report, checkpoint and proofs', async () => {
    // After every event of the demo chain (March 2026).
    const f = new EventFactory('2026-04-01T08:00:00.000Z');
    const health = await client().health();
    expect(health.ledgerSize).toBeGreaterThan(30);

    // The manufacturer issues two codes for its product and commissions them with a signed capture.
    const mah = client(token('manufacturer', MAH.id));
    const product = (await mah.products()).products.find((p) => p.gtin === '09521234000013')!;
    const issued = await mah.issueCodes(product.id, 2);
    expect(issued.codes).toHaveLength(2);
    const codes = issued.codes.map((c) => c.digitalLink!);
    const mahKey = readPartyKeyFile(join(keyDir, `${database.name}.keys`, `${MAH.id}.key`), 'test');
    const commission = signSubmission(epcisDocument([f.commission(codes, MAH.gln, { lot: 'PG-1', expiry: '2029-01-31' })]), mahKey);
    const receipt = await mah.capture(commission, { idempotencyKey: 'pg-commission' });
    expect(receipt).toMatchObject({ position: health.ledgerSize, duplicate: false, replayed: false });
    const again = await mah.capture(commission, { idempotencyKey: 'pg-commission' });
    expect(again).toMatchObject({ position: receipt.position, replayed: true });
    expect((await mah.verifyUnit(codes[0])).status).toBe('active');

    // A pharmacy dispenses a unit it holds; the verdict follows.
    const demoGuide = guide();
    const pharmacy = client(token('dispenser', PHARMACY_3.id));
    const pharmacyKey = readPartyKeyFile(join(keyDir, `${database.name}.keys`, `${PHARMACY_3.id}.key`), 'test');
    const unit = demoGuide.lookAt.okToDispense;
    expect((await pharmacy.verifyUnit(unit)).verdict).toBe('ok_to_dispense');
    const dispensed = await pharmacy.dispense(unit, signSubmission(epcisDocument([f.dispense([unit], PHARMACY_3.gln)]), pharmacyKey));
    expect(dispensed.position).toBe(receipt.position + 1);
    expect((await pharmacy.verifyUnit(unit)).verdict).toBe('do_not_dispense');

    // The regulator: a unit's history, the recall report of the demo's recalled lot.
    const regulator = client(token('regulator'));
    const history = await regulator.unitHistory(demoGuide.lookAt.history);
    expect(history.events.length).toBeGreaterThan(5);
    const report = await regulator.recallReport(served.demo.recallLot);
    expect(report.units.length).toBeGreaterThan(0);

    // Public: the checkpoint, an inclusion proof against its root, and a bundle that verifies offline.
    const note = await client().checkpoint();
    const [, sizeLine, rootLine] = note.split('\n');
    const size = Number(sizeLine);
    expect(size).toBe(dispensed.position + 1);
    const proof = await client().inclusionProof(dispensed.position, size);
    expect(proof.root).toBe(rootLine);
    expect(verifyInclusion(sha256, dispensed.position, size, fromBase64(proof.leafHash), proof.proof.map(fromBase64), fromBase64(proof.root))).toBe(true);
    const bundle = await regulator.proofBundle(unit);
    const checked = verifyBundle(JSON.parse(JSON.stringify(bundle)));
    expect(checked.firstFailure).toBeUndefined();
    expect(checked.ok).toBe(true);
  }, 300_000);

  it('a CLI command given DATABASE_URL and no --db reads the same database', async () => {
    const demoGuide = guide();
    const verify = await cli(['verify', demoGuide.lookAt.recalled, '--json'], { DATABASE_URL: database.url });
    expect(verify.code).toBe(1);
    expect(JSON.parse(verify.stdout)).toMatchObject({ verdict: 'do_not_dispense', status: 'recalled' });
    const ledger = await cli(['ledger', 'verify', '--json'], { DATABASE_URL: database.url });
    expect(ledger.code).toBe(0);
    expect(JSON.parse(ledger.stdout)).toMatchObject({ ok: true });
  }, 120_000);

  it('a second start reuses the chain it built', async () => {
    const size = (await client().health()).ledgerSize;
    expect(await stop(served)).toBe(0);
    served = await serve();
    expect(served.demo.built).toBe(false);
    expect((await client().health()).ledgerSize).toBe(size);
  }, 300_000);
});

describe("PostgreSQL's storage faults", () => {
  it('a write in a read-only session is 503 STORAGE_READ_ONLY', () => {
    const readOnly = new URL(database.url);
    readOnly.searchParams.set('options', '-c default_transaction_read_only=on');
    const sql = openPostgresSql(readOnly.toString());
    let thrown: unknown;
    try {
      sql.prepare("UPDATE api_tokens SET label = 'x' WHERE id = ?").run('none');
    } catch (err) {
      thrown = err;
    } finally {
      sql.close();
    }
    expect(thrown).toBeInstanceOf(SqlError);
    expect(domainError(thrown)).toMatchObject({ status: 503, body: { error: { code: 'STORAGE_READ_ONLY', details: { sqlstate: '25006' } } } });
  });

  it("answers 503 STORAGE_UNAVAILABLE, not 500, while PostgreSQL refuses the server, and reconnects once it accepts it again", async () => {
    // Connected to the server's maintenance database: a database cannot lock itself out.
    const maintenance = new URL(database.url);
    maintenance.pathname = '/postgres';
    const admin = openPostgresSql(maintenance.toString());
    const history = () =>
      client(token('regulator'))
        .unitHistory(guide().lookAt.history)
        .then(
          (h) => ({ ok: h.events.length > 0 }),
          (e: unknown) => e,
        );
    try {
      // The database stops accepting connections and the server's is ended.
      admin.exec(`ALTER DATABASE ${database.name} ALLOW_CONNECTIONS false`);
      admin.prepare('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ?').all(database.name);
      await new Promise((r) => setTimeout(r, 300));
      const err = await history();
      expect(err).toBeInstanceOf(ApiClientError);
      expect(err).toMatchObject({ status: 503, code: 'STORAGE_UNAVAILABLE' });
      // Accepting again: the next request reconnects, no restart needed.
      admin.exec(`ALTER DATABASE ${database.name} ALLOW_CONNECTIONS true`);
      expect(await history()).toEqual({ ok: true });
    } finally {
      admin.exec(`ALTER DATABASE ${database.name} ALLOW_CONNECTIONS true`);
      admin.close();
    }
  }, 60_000);
});
