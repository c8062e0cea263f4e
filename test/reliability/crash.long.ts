/**
 * Crash safety of the whole server: `drugtrace serve` under a steady capture load from concurrent
 * clients is killed with SIGKILL at random moments, many times. After every kill:
 * `drugtrace ledger verify` passes; every acknowledged document is in the ledger at the position
 * its receipt named; every document whose answer was lost is there whole (entry and all its units)
 * or not at all; the projections equal a rebuild from the ledger. After the restart, clients retry
 * the documents whose answers they lost with the same Idempotency-Key: the ones that had been
 * written come back as replays, the others are written once, and no document is ever stored twice.
 *
 * Clients also give up on one request in ten after a few milliseconds (an answer lost on the
 * network while the server lives) and retry it at once with the same key.
 *
 * Long: `npm run test:crash` (CRASH_ROUNDS, default 25; CRASH_CLIENTS, default 4).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Ledger } from '../../ledger/ledger.ts';
import { fromHex } from '../../ledger/bytes.ts';
import { dumpProjections, rebuildProjections } from '../../trace/projections.ts';
import { demoLedger, http, issueTokens, kill9, loadDocument, MAH, NoAnswer, runDrugtrace, startServe, type LoadDocument, type PartyKey } from './harness.ts';

const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 25);
const CLIENTS = Number(process.env.CRASH_CLIENTS ?? 4);
const CODES_PER_DOCUMENT = 12;

interface Acked {
  doc: LoadDocument;
  position: number;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'drugtrace-crash-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Sends one document; returns its receipt's position, or null when no answer came back. Any other answer is a failure. */
async function send(url: string, token: string, doc: LoadDocument, signal?: AbortSignal): Promise<{ position: number; replayed: boolean } | null> {
  try {
    const r = await http(url, 'POST', '/v1/capture', { token, body: doc.submission, headers: { 'idempotency-key': doc.idempotencyKey }, signal });
    if (r.status !== 201) throw new Error(`${doc.name}: ${r.status} ${r.text}`);
    return { position: r.json.position as number, replayed: r.headers.get('idempotent-replayed') === 'true' };
  } catch (err) {
    if (err instanceof NoAnswer) return null;
    throw err;
  }
}

/** What the database holds for the load documents, read after a kill with no server running. */
function inspect(dbFile: string, acked: Map<string, Acked>, inDoubt: LoadDocument[], base: number) {
  const ledger = Ledger.open(dbFile);
  try {
    const db = ledger.store.sql;
    const byHash = db.prepare('SELECT position FROM ledger_entries WHERE body_hash = ?').pluck();
    const unitExists = db.prepare('SELECT 1 FROM trace_units WHERE code = ?').pluck();
    for (const { doc, position } of acked.values()) {
      expect(byHash.get(Buffer.from(fromHex(doc.bodyHash))), `acknowledged ${doc.name}`).toBe(position);
      expect(doc.codes.every((c) => unitExists.get(c) === 1), `units of acknowledged ${doc.name}`).toBe(true);
    }
    let present = 0;
    for (const doc of inDoubt) {
      const stored = byHash.get(Buffer.from(fromHex(doc.bodyHash))) !== undefined;
      const units = doc.codes.filter((c) => unitExists.get(c) === 1).length;
      // Whole or absent: the entry and every unit of the document, or none of them.
      expect(units, `in-doubt ${doc.name} (entry ${stored ? 'present' : 'absent'})`).toBe(stored ? doc.codes.length : 0);
      if (stored) present++;
    }
    // Only load documents were written since the demo, each once.
    const size = ledger.size();
    let mahEntries = 0;
    for (let p = base; p < size; p++) {
      const { body } = ledger.get(p).entry;
      if (body.kind === 'capture' && body.signer.party === MAH.id) mahEntries++;
    }
    return { size, present, mahEntries, projections: dumpProjections(db) };
  } finally {
    ledger.close();
  }
}

/** The projections a rebuild from the ledger gives, on a copy of the file. */
function rebuiltProjections(dbFile: string, round: number) {
  const copy = join(dir, `rebuild-${round}.db`);
  copyFileSync(dbFile, copy);
  const ledger = Ledger.open(copy, { keyFile: join(dir, 'no-key') });
  try {
    rebuildProjections(ledger);
    return dumpProjections(ledger.store.sql);
  } finally {
    ledger.close();
    rmSync(copy, { force: true });
    rmSync(`${copy}-wal`, { force: true });
    rmSync(`${copy}-shm`, { force: true });
  }
}

describe('drugtrace serve killed with SIGKILL under capture load', () => {
  it(`keeps every acknowledged document, nothing partial, no duplicates on retry, over ${ROUNDS} kills`, async () => {
    const dbFile = join(dir, 'crash.db');
    const { keys, demo } = demoLedger(dbFile);
    const mahKey = keys.get(MAH.id) as PartyKey;
    const { mah } = issueTokens(dbFile, { mah: { party: MAH.id, role: 'manufacturer' } });
    const base = demo.ledgerSize;
    const run = randomBytes(3).toString('hex');

    const acked = new Map<string, Acked>();
    let inDoubt: LoadDocument[] = [];
    let next = 0;
    const stats = { rounds: 0, acknowledged: 0, clientGaveUp: 0, replayedAfterGiveUp: 0, lostAnswers: 0, lostButWritten: 0, replayed: 0, retriedFresh: 0 };

    for (let round = 0; round <= ROUNDS; round++) {
      const server = await startServe(dbFile);
      try {
        // Clients first retry what they never heard back about, with the same keys.
        for (const doc of inDoubt) {
          const r = await send(server.url, mah, doc);
          if (!r) throw new Error(`no answer to the retry of ${doc.name} from a running server`);
          if (r.replayed) stats.replayed++;
          else stats.retriedFresh++;
          acked.set(doc.name, { doc, position: r.position });
        }
        inDoubt = [];
        if (round === ROUNDS) break;

        // Steady load: CLIENTS loops, each sending one document after another until the server dies.
        let firstAck!: () => void;
        const acking = new Promise<void>((resolve) => (firstAck = resolve));
        const client = async () => {
          for (;;) {
            const doc = loadDocument(mahKey, `${run}.${next++}`, CODES_PER_DOCUMENT);
            let r = await send(server.url, mah, doc, Math.random() < 0.1 ? AbortSignal.timeout(1 + Math.floor(Math.random() * 8)) : undefined);
            if (!r && server.child.exitCode === null && server.child.signalCode === null) {
              // Gave up waiting, the server still runs: the retry with the same key settles it.
              stats.clientGaveUp++;
              r = await send(server.url, mah, doc);
              if (r?.replayed) stats.replayedAfterGiveUp++;
            }
            if (!r) {
              inDoubt.push(doc);
              return;
            }
            acked.set(doc.name, { doc, position: r.position });
            stats.acknowledged++;
            firstAck();
          }
        };
        const clients = Array.from({ length: CLIENTS }, client);
        await acking;
        await new Promise((resolve) => setTimeout(resolve, 50 + Math.floor(Math.random() * 1500)));
        await kill9(server);
        await Promise.all(clients);
        stats.rounds++;
        stats.lostAnswers += inDoubt.length;

        const verify = await runDrugtrace(['ledger', 'verify', '--db', dbFile, '--json']);
        expect(verify.code, `ledger verify after kill ${round + 1}: ${verify.stdout}${verify.stderr}`).toBe(0);
        const state = inspect(dbFile, acked, inDoubt, base);
        stats.lostButWritten += state.present;
        expect(state.mahEntries, 'one entry per document written').toBe(acked.size + state.present);
        expect(state.size).toBe(base + acked.size + state.present);
        expect(state.projections, `projections equal a rebuild after kill ${round + 1}`).toEqual(rebuiltProjections(dbFile, round));
        process.stderr.write(`crash round ${round + 1}/${ROUNDS}: ${acked.size} documents acknowledged, ${inDoubt.length} answers lost, ${state.present} of them written\n`);
      } finally {
        if (server.child.exitCode === null && server.child.signalCode === null) await kill9(server);
      }
    }

    // After the last restart every document ever sent is acknowledged, each exactly once.
    const final = inspect(dbFile, acked, [], base);
    expect(final.size).toBe(base + next);
    expect(acked.size).toBe(next);
    expect(stats.replayed + stats.retriedFresh).toBe(stats.lostAnswers);
    console.log(`crash: ${JSON.stringify({ ...stats, documents: next, units: next * CODES_PER_DOCUMENT, ledgerSize: final.size })}`);
    expect(stats.acknowledged).toBeGreaterThan(ROUNDS);
    // Every retry of a document that had been written was a replay.
    expect(stats.replayed).toBe(stats.lostButWritten);
    // Up to two minutes a round: a loaded 2-core machine starts tsx, serves, and runs ledger verify slowly.
  }, ROUNDS * 120_000);
});
