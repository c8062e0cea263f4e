/**
 * What the reliability runs share: a demo ledger with its party keys, `drugtrace serve` as a child
 * process, commissioning documents with fresh codes (a steady, always-valid capture load), and a
 * small HTTP caller that tells "no answer" (the server died) apart from an answer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { issueToken } from '../../api/auth.ts';
import { DEMO_LOTS, DEMO_PARTIES, runDemo, type DemoResult } from '../../trace/demo.ts';
import { prepareCapture, signCapture, type CaptureSubmission } from '../../trace/capture.ts';
import { Ledger } from '../../ledger/ledger.ts';
import { bodyHash } from '../../ledger/entry.ts';
import { sha256 } from '../../ledger/crypto-node.ts';
import { toHex } from '../../ledger/bytes.ts';

export const BIN = fileURLToPath(new URL('../../bin/drugtrace.js', import.meta.url));
const CONTEXT = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';

export interface PartyKey {
  party: string;
  keyId: string;
  secretKey: Uint8Array;
}

export interface DemoLedger {
  dbFile: string;
  demo: DemoResult;
  keys: Map<string, PartyKey>;
}

/** The demo chain in a new ledger at `dbFile`, with every party's signing key kept in memory. */
export function demoLedger(dbFile: string): DemoLedger {
  const keys = new Map<string, PartyKey>();
  const demo = runDemo(dbFile, { onPartyKey: (k) => keys.set(k.party, k) });
  return { dbFile, demo, keys };
}

/** Issues bearer tokens straight into the database (before any server runs). */
export function issueTokens(dbFile: string, wanted: Record<string, { party: string; role: 'manufacturer' | 'distributor' | 'dispenser' | 'regulator' | 'witness' | 'admin' }>): Record<string, string> {
  const ledger = Ledger.open(dbFile);
  try {
    const out: Record<string, string> = {};
    for (const [name, t] of Object.entries(wanted)) out[name] = issueToken(ledger.store.sql, t).token;
    return out;
  } finally {
    ledger.close();
  }
}

export const MAH = DEMO_PARTIES[0];
/** Lot A2602 of product A: not recalled, expiry 2028-06-30. */
export const LOAD_LOT = DEMO_LOTS[1];

/** A unit code of product A with the given serial (CSET 82, at most 20 characters). */
export function loadUnit(serial: string): string {
  return `https://id.gs1.org/01/${LOAD_LOT.gtin}/21/${encodeURIComponent(serial)}`;
}

/** The MAH commissions `codes` into a lot of product A (A2602 unless told) at its site: valid for any codes never seen before. */
export function commissionDocument(codes: readonly string[], eventTime = '2026-03-20T09:00:00.000+08:00', lot = LOAD_LOT.lot): Record<string, unknown> {
  return {
    '@context': [CONTEXT],
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: eventTime,
    epcisBody: {
      eventList: [
        {
          type: 'ObjectEvent',
          eventTime,
          eventTimeZoneOffset: '+08:00',
          epcList: [...codes],
          action: 'ADD',
          bizStep: 'commissioning',
          disposition: 'active',
          readPoint: { id: MAH.location },
          bizLocation: { id: MAH.location },
          ilmd: { 'cbvmda:lotNumber': lot, 'cbvmda:itemExpirationDate': LOAD_LOT.expiry },
        },
      ],
    },
  };
}

/** One document of the load: its codes, the signed submission, its idempotency key and body hash. */
export interface LoadDocument {
  name: string;
  codes: string[];
  submission: CaptureSubmission;
  idempotencyKey: string;
  /** Hex SHA-256 of the entry body, as stored in ledger_entries.body_hash. */
  bodyHash: string;
}

/** `count` new unit codes named after `name` (unique per run prefix), commissioned and signed by the MAH. */
export function loadDocument(key: PartyKey, name: string, count: number, lot = LOAD_LOT.lot): LoadDocument {
  const codes = Array.from({ length: count }, (_, i) => loadUnit(`${name}.${i}`));
  const document = commissionDocument(codes, undefined, lot);
  const claimedTime = new Date().toISOString();
  const submission = signCapture(document, key, claimedTime);
  const { body } = prepareCapture(document, key, claimedTime);
  return { name, codes, submission, idempotencyKey: `load-${name}`, bodyHash: toHex(bodyHash(body, sha256)) };
}

export interface ServeProcess {
  url: string;
  child: ChildProcess;
  /** Resolves when the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

/** Starts `drugtrace serve --port 0 --json` on `dbFile` and waits for its URL. */
export function startServe(dbFile: string, extra: string[] = []): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', '--db', dbFile, '--port', '0', '--json', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let out = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    const onData = (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n')[0];
      if (!out.includes('\n')) return;
      child.stdout!.off('data', onData);
      try {
        const doc = JSON.parse(line) as { url: string };
        resolve({ url: doc.url, child, exited, stderr: () => err });
      } catch {
        reject(new Error(`serve printed ${JSON.stringify(line)}; stderr: ${err}`));
      }
    };
    child.stdout!.on('data', onData);
    void exited.then(({ code, signal }) => reject(new Error(`serve ended before listening (code ${code}, signal ${signal}): ${err}`)));
  });
}

/** SIGKILL, then wait until the process is gone. */
export async function kill9(p: ServeProcess): Promise<void> {
  p.child.kill('SIGKILL');
  await p.exited;
}

export interface Answer {
  status: number;
  headers: Headers;
  json: any;
  text: string;
}

/** Thrown when no answer came back (connection refused or reset, or the caller gave up): the outcome is unknown. */
export class NoAnswer extends Error {
  override readonly name = 'NoAnswer';
}

export async function http(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; raw?: string | Uint8Array; headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | Uint8Array | undefined;
  if (options.raw !== undefined || options.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = options.raw ?? JSON.stringify(options.body);
  }
  let res: Response;
  let text: string;
  try {
    res = await fetch(`${base}${path}`, { method, headers, body: body as BodyInit | undefined, signal: options.signal });
    text = await res.text();
  } catch (err) {
    throw new NoAnswer(`${method} ${path}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

/** Runs `drugtrace ARGS` to completion; returns its exit code and output. */
export function runDrugtrace(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
