/**
 * Crash safety: a child process appending documents is killed with SIGKILL at random moments;
 * after each kill the ledger reopens, verifies, and every document is present whole or absent
 * whole, with every acknowledged one present.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ledger } from '../../ledger/ledger.ts';
import { verifyLedger } from '../../ledger/verify.ts';
import { toBase64 } from '../../ledger/bytes.ts';
import { addParty } from './helpers.ts';

const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const KILLS = Number(process.env.LEDGER_CRASH_KILLS ?? 5);
const ITEMS = 200;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ledger-crash-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the child until it has acknowledged a document, waits `delayMs` more, kills it; returns the acknowledged documents. */
function runAndKill(db: string, partyFile: string, firstDoc: number, delayMs: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, db, partyFile, String(firstDoc), String(ITEMS)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: number[] = [];
    let buffered = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line === 'ready') continue;
        acked.push(Number(line));
        if (!timer) timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`child ended by itself (code ${code}): ${stderr}`));
    });
  });
}

describe('a ledger killed mid-append', () => {
  it(`survives ${KILLS} SIGKILLs: verifies, acknowledged documents are present, every document whole or absent`, async () => {
    const db = join(dir, 'crash.db');
    const partyFile = join(dir, 'party.json');
    const setup = Ledger.init(db, { origin: 'crash.example/log' });
    const acme = addParty(setup, 'acme');
    const base = setup.size();
    setup.close();
    writeFileSync(partyFile, JSON.stringify({ party: acme.party, keyId: acme.keyId, secret: toBase64(acme.secret) }));

    const acknowledged = new Set<number>();
    let nextDoc = 0;
    for (let run = 0; run < KILLS; run++) {
      const delay = Math.floor(Math.random() * 150);
      for (const d of await runAndKill(db, partyFile, nextDoc, delay)) acknowledged.add(d);

      const ledger = Ledger.open(db);
      try {
        const report = verifyLedger(ledger.store);
        expect(report.failure, `after kill ${run + 1} (delay ${delay} ms)`).toBeUndefined();
        const docs: number[] = [];
        for (let p = base; p < ledger.size(); p++) {
          const { entry } = ledger.get(p);
          docs.push(entry.body.payload.doc as number);
          expect(entry.body.itemCount).toBe(ITEMS);
          expect(ledger.items(p)).toHaveLength(ITEMS);
        }
        // Documents land in order, each exactly once: 0, 1, 2, ...
        expect(docs).toEqual(docs.map((_, i) => i));
        for (const d of acknowledged) expect(docs).toContain(d);
        nextDoc = docs.length;
      } finally {
        ledger.close();
      }
    }
    expect(acknowledged.size).toBeGreaterThan(0);
  }, 120_000);
});
