/**
 * `npm start` as a real process: the command in package.json's "start" script (drugtrace serve
 * --demo), with --db in a fresh folder and --port 0. The first start builds the demo chain and
 * prints where to look; every URL and curl line it prints works; Ctrl-C (SIGINT) exits 0; a second
 * start reuses the chain (no re-seeding) and revokes the first start's demo tokens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onPostgres } from '../helpers/dialect.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let dir: string;
let db: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'drugtrace-start-'));
  db = join(dir, 'demo.db');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** package.json's start script, run with the same node, plus the test's own arguments. */
function startCommand(extra: string[]): string[] {
  const script = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const [node, ...args] = script.split(/\s+/);
  expect(node).toBe('node');
  return [...args, ...extra];
}

interface Started {
  stdout: string;
  stderr: string;
  stop: (signal: NodeJS.Signals) => Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts it and resolves once stdout holds `until` (the end of what it prints). */
function start(extra: string[], until: RegExp): Promise<Started> {
  const child = spawn(process.execPath, startCommand(extra), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const io = { stdout: '', stderr: '' };
  child.stdout.on('data', (d) => (io.stdout += d));
  child.stderr.on('data', (d) => (io.stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    const check = () => {
      if (until.test(io.stdout)) {
        child.stdout.off('data', check);
        resolve({
          get stdout() {
            return io.stdout;
          },
          get stderr() {
            return io.stderr;
          },
          stop: (signal) => {
            child.kill(signal);
            return exited;
          },
        });
      }
    };
    child.stdout.on('data', check);
    exited.then(({ code }) => reject(new Error(`start exited with ${code} before it was ready: ${io.stderr}`)));
  });
}

/** Runs one printed curl line (only -H and -X/-d options are used) through fetch. */
async function curl(line: string): Promise<Response> {
  const words = [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]);
  expect(words[0]).toBe('curl');
  const headers: Record<string, string> = {};
  let method = 'GET';
  let body: string | undefined;
  let url = '';
  for (let i = 1; i < words.length; i++) {
    if (words[i] === '-H') {
      const [k, ...v] = words[++i].split(':');
      headers[k.trim()] = v.join(':').trim();
    } else if (words[i] === '-X') method = words[++i];
    else if (words[i] === '-d') body = words[++i];
    else url = words[i];
  }
  return fetch(url, { method, headers, body });
}

// npm start runs the CLI in a child process on its SQLite default, which the PostgreSQL suite mode
// (a mock inside this process) cannot redirect; serve --demo on PostgreSQL is test/api/postgres.pg.ts.
describe.skipIf(onPostgres)('npm start (drugtrace serve --demo)', () => {
  let firstRegulatorToken = '';
  /** Issued through the printed admin curl line: not a demo token, so it survives a restart unless the chain is rebuilt. */
  let issuedToken = '';

  it('builds the demo chain on the first run and prints a URL, a public verify, a consumer page, a recall report and tokens that all work; SIGINT exits 0', async () => {
    const s = await start(['--db', db, '--port', '0'], /Ctrl-C stops the server/);
    let stopped = false;
    try {
      expect(s.stderr).toMatch(/building the demo supply chain/);
      const url = /DrugTrace API listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(s.stdout)![1];
      expect(s.stdout).toContain(`API docs: ${url}/docs`);
      expect(s.stdout).toMatch(/\(built now\), 36 ledger entries/);
      expect((await fetch(`${url}/docs`)).status).toBe(200);

      const curls = s.stdout.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('curl '));
      expect(curls.length).toBeGreaterThanOrEqual(5);
      const answers = await Promise.all(curls.map(async (l) => ({ line: l, res: await curl(l) })));
      for (const { line, res } of answers) expect(res.status, line).toBeLessThan(300);

      const publicVerify = await answers.find((a) => /Accept: application\/json/.test(a.line))!.res.json();
      expect(publicVerify).toMatchObject({ answer: 'genuine', genuine: true });
      const dispenser = await answers.find((a) => /\/verify$/.test(a.line))!.res.json();
      expect(dispenser).toMatchObject({ verdict: 'ok_to_dispense' });
      const recall = await answers.find((a) => a.line.includes('/v1/recalls/report'))!.res.json();
      expect(recall).toMatchObject({ lot: 'A2601', total: 24 });
      const issued = await answers.find((a) => a.line.includes('/v1/tokens'))!.res.json();
      expect(issued).toMatchObject({ party: 'pharmacy-9', role: 'dispenser' });
      issuedToken = issued.token;

      const page = /consumer page of a dispensed unit.*\n\s+(http\S+)/.exec(s.stdout)![1];
      const html = await fetch(page, { headers: { accept: 'text/html' } });
      expect(html.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await html.text()).toMatch(/dispensed/);

      const recallPage = /or in a browser \(paste the regulator token\): (http\S+)/.exec(s.stdout)![1];
      expect(recallPage).toBe(`${url}/web/recall?gtin=${recall.gtin}&lot=A2601`);
      expect((await fetch(recallPage)).headers.get('content-type')).toMatch(/^text\/html/);

      firstRegulatorToken = /^\s+regulator\s+regulator\s+(\S+)/m.exec(s.stdout)![1];
      const exit = await s.stop('SIGINT');
      stopped = true;
      expect(exit).toEqual({ code: 0, signal: null });
    } finally {
      if (!stopped) await s.stop('SIGKILL');
    }
  }, 60_000);

  it('a second start reuses the chain without re-seeding, and the first start\'s demo tokens no longer work', async () => {
    const s = await start(['--db', db, '--port', '0', '--json'], /\n/);
    let stopped = false;
    try {
      expect(s.stderr).not.toMatch(/building the demo supply chain/);
      const started = JSON.parse(s.stdout.split('\n')[0]) as { url: string; demo: { built: boolean; tokens: Array<{ role: string; token: string }>; recallReport: string; dispenserVerify: string } };
      expect(started.demo.built).toBe(false);
      expect((await (await fetch(`${started.url}/health`)).json()).ledgerSize).toBe(36);
      const regulator = started.demo.tokens.find((t) => t.role === 'regulator')!.token;
      expect((await fetch(started.demo.recallReport, { headers: { authorization: `Bearer ${regulator}` } })).status).toBe(200);
      const old = await fetch(started.demo.recallReport, { headers: { authorization: `Bearer ${firstRegulatorToken}` } });
      expect(old.status).toBe(401);
      expect((await old.json()).error.code).toBe('AUTH_INVALID_TOKEN');
      // The database was not rebuilt: a token issued during the first run still works.
      expect((await fetch(started.demo.dispenserVerify, { headers: { authorization: `Bearer ${issuedToken}` } })).status).toBe(200);
      const exit = await s.stop('SIGINT');
      stopped = true;
      expect(exit.code).toBe(0);
    } finally {
      if (!stopped) await s.stop('SIGKILL');
    }
  }, 60_000);

  it('refuses to serve a ledger that is not a demo one with --demo (exit 2, CLI_NOT_A_DEMO_LEDGER)', async () => {
    const other = join(dir, 'other.db');
    const { Ledger } = await import('../../ledger/ledger.ts');
    Ledger.init(other, { origin: 'elsewhere.example/log' }).close();
    const child = spawn(process.execPath, startCommand(['--db', other, '--port', '0', '--json']), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(2);
    expect(JSON.parse(stdout).error.code).toBe('CLI_NOT_A_DEMO_LEDGER');
  }, 30_000);
});
