/**
 * The CLI against a server URL (--server, --token): the same output and exit codes as the local
 * mode on the same demo database, the server's refusals mapped to exit 1 / 2, and a capture over
 * HTTP retried with its idempotency key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../api/server.ts';
import { issueToken } from '../../api/auth.ts';
import { runDemo, type DemoResult } from '../../trace/demo.ts';
import { writePartyKeyFile } from '../../cli/commands/party.ts';
import { runCli } from '../helpers/run-cli.ts';

let dir: string;
let db: string;
let demo: DemoResult;
let app: FastifyInstance;
let base: string;
const keys = new Map<string, { party: string; keyId: string; secretKey: Uint8Array }>();
const tokens: Record<string, string> = {};
const AT = '2027-01-01T00:00:00.000Z';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drugtrace-cli-server-'));
  db = join(dir, 'demo.db');
  demo = runDemo(db, { onPartyKey: (k) => keys.set(k.party, k) });
  app = await buildServer({ dbFile: db });
  base = (await app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
  tokens.regulator = issueToken(app.drugtrace.db, { party: 'nmpa', role: 'regulator' }).token;
  tokens.dispenser = issueToken(app.drugtrace.db, { party: 'pharmacy-3', role: 'dispenser' }).token;
  tokens.otherManufacturer = issueToken(app.drugtrace.db, { party: 'mah-elsewhere', role: 'manufacturer' }).token;
});

afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

const remote = (token: string | undefined, ...args: string[]) => runCli([...args, '--server', base, ...(token ? ['--token', token] : [])]);

/** Runs the same command locally and over the server; both must agree on exit code and output. */
async function same(args: string[], token = tokens.regulator) {
  const local = await runCli([...args, '--db', db]);
  const server = await remote(token, ...args);
  expect(server.code).toBe(local.code);
  return { local, server };
}

describe('history, verify and recall report over a server give the local answers', () => {
  it('history: the same text, and the same JSON document', async () => {
    const text = await same(['history', demo.lookAt.history]);
    expect(text.local.code).toBe(0);
    expect(text.server.stdout).toBe(text.local.stdout);
    const json = await same(['history', demo.lookAt.history, '--json']);
    // fastify serialises in its schema's key order: the same document, not always the same bytes.
    expect(JSON.parse(json.server.stdout)).toEqual(JSON.parse(json.local.stdout));
    expect(JSON.parse(json.server.stdout)).toMatchObject({ ok: true, code: demo.lookAt.history });
  });

  it('verify: ok_to_dispense exits 0, do_not_dispense and unknown_code exit 1, with the same output', async () => {
    for (const [code, exit] of [
      [demo.lookAt.okToDispense, 0],
      [demo.lookAt.recalled, 1],
      [demo.lookAt.issuedNotCommissioned, 1],
    ] as const) {
      const text = await same(['verify', code, '--at', AT]);
      expect(text.local.code).toBe(exit);
      expect(text.server.stdout).toBe(text.local.stdout);
      const json = await same(['verify', code, '--at', AT, '--json']);
      expect(JSON.parse(json.server.stdout)).toEqual(JSON.parse(json.local.stdout));
    }
  });

  it('recall report: the same text, JSON and CSV for the recalled lot', async () => {
    const { gtin, lot } = demo.lookAt.recallLot;
    const args = ['recall', 'report', '--gtin', gtin, '--lot', lot, '--at', AT];
    const text = await same(args);
    expect(text.local.code).toBe(0);
    expect(text.server.stdout).toBe(text.local.stdout);
    const csv = await same([...args, '--csv']);
    expect(csv.server.stdout).toBe(csv.local.stdout);
    const json = await same([...args, '--json']);
    expect(JSON.parse(json.server.stdout)).toEqual(JSON.parse(json.local.stdout));
    expect(JSON.parse(json.server.stdout)).toMatchObject({ ok: true, gtin, lot, total: 24 });
  });

  it('takes the server and token from DRUGTRACE_SERVER and DRUGTRACE_TOKEN', async () => {
    process.env.DRUGTRACE_SERVER = base;
    process.env.DRUGTRACE_TOKEN = tokens.regulator;
    try {
      const r = await runCli(['history', demo.lookAt.history, '--json']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, code: demo.lookAt.history });
    } finally {
      delete process.env.DRUGTRACE_SERVER;
      delete process.env.DRUGTRACE_TOKEN;
    }
  });
});

describe('server refusals map to exit codes', () => {
  it('an unknown code is a "no" (exit 1) with the server\'s code', async () => {
    const r = await remote(tokens.regulator, 'history', demo.lookAt.neverIssued, '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: 'TRACE_QUERY_UNKNOWN_CODE', status: 404 } });
  });

  it('a malformed code is usage (exit 2), as locally', async () => {
    const { server } = await same(['history', 'not a code', '--json']);
    expect(server.code).toBe(2);
    expect(JSON.parse(server.stdout).error.code).toBe('TRACE_QUERY_BAD_CODE');
  });

  it('no token (401) and a unit never held (403) exit 2 with the code on stderr', async () => {
    const none = await remote(undefined, 'history', demo.lookAt.history);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('AUTH_REQUIRED');
    const hidden = await remote(tokens.dispenser, 'history', demo.lookAt.history);
    expect(hidden.code).toBe(2);
    expect(hidden.stderr).toContain('AUTH_NOT_VISIBLE');
    const foreign = await remote(tokens.otherManufacturer, 'recall', 'report', '--gtin', demo.lookAt.recallLot.gtin, '--lot', demo.lookAt.recallLot.lot, '--json');
    expect(foreign.code).toBe(2);
    expect(JSON.parse(foreign.stdout).error).toMatchObject({ code: 'AUTH_FORBIDDEN', status: 403 });
  });

  it('nothing listening: exit 2 with CLIENT_NETWORK and the URL', async () => {
    const probe = createServer();
    await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((done) => probe.close(() => done()));
    const r = await runCli(['verify', demo.lookAt.okToDispense, '--server', `http://127.0.0.1:${port}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('CLIENT_NETWORK');
    expect(r.stderr).toContain(`127.0.0.1:${port}`);
  });

  it('a server URL that is not one: exit 2 CLIENT_BAD_URL', async () => {
    const r = await runCli(['verify', demo.lookAt.okToDispense, '--server', 'nowhere', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.code).toBe('CLIENT_BAD_URL');
  });
});

describe('capture over a server', () => {
  it('signs locally, captures over HTTP, and a retry with the same idempotency key and claimed time returns the first receipt', async () => {
    const keyFile = join(dir, 'pharmacy-3.key');
    writePartyKeyFile(keyFile, keys.get('pharmacy-3')!);
    const doc = join(dir, 'dispense.json');
    writeFileSync(
      doc,
      JSON.stringify({
        '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'],
        type: 'EPCISDocument',
        schemaVersion: '2.0',
        creationDate: '2026-03-21T10:00:00Z',
        epcisBody: {
          eventList: [
            { type: 'ObjectEvent', eventTime: '2026-03-21T10:00:00.000+08:00', eventTimeZoneOffset: '+08:00', epcList: [demo.lookAt.okToDispense], action: 'OBSERVE', bizStep: 'dispensing', disposition: 'dispensed', readPoint: { id: 'https://id.gs1.org/414/9521403000004' } },
          ],
        },
      }),
    );
    const args = ['capture', doc, '--party', 'pharmacy-3', '--key', keyFile, '--idempotency-key', 'cli-dispense-1', '--claimed-time', '2026-03-21T10:00:00Z', '--json'];
    const first = await remote(tokens.dispenser, ...args);
    expect(first.code).toBe(0);
    const receipt = JSON.parse(first.stdout);
    expect(receipt).toMatchObject({ ok: true, position: demo.ledgerSize, duplicate: false, events: [{ index: 0 }] });
    const retry = await remote(tokens.dispenser, ...args);
    expect(retry.code).toBe(0);
    expect(JSON.parse(retry.stdout)).toEqual(receipt);

    // Signed by another party than the token's: 403 AUTH_SIGNER_MISMATCH, exit 2.
    const mismatch = await remote(tokens.regulator, 'capture', doc, '--party', 'pharmacy-3', '--key', keyFile, '--json');
    expect(mismatch.code).toBe(2);
    expect(JSON.parse(mismatch.stdout).error.code).toMatch(/^AUTH_/);

    // The pack is dispensed now: dispensing it again is a lifecycle refusal, a "no" (exit 1).
    const again = await remote(tokens.dispenser, 'capture', doc, '--party', 'pharmacy-3', '--key', keyFile, '--claimed-time', '2026-03-22T10:00:00Z', '--json');
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout)).toMatchObject({ ok: false, error: { code: expect.stringMatching(/^TRACE_/), status: 409 } });

    const history = await remote(tokens.regulator, 'history', demo.lookAt.okToDispense, '--json');
    expect(JSON.parse(history.stdout).events.filter((e: { bizStep: string }) => e.bizStep === 'dispensing')).toHaveLength(1);
  });
});
