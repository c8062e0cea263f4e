/** `drugtrace proof export CODE` and `proof verify` of the unit bundle, end to end on the demo chain. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/run-cli.ts';
import { Ledger } from '../../ledger/ledger.ts';
import { fromBase64, toBase64 } from '../../ledger/bytes.ts';
import { nobleCrypto } from '../../ledger/crypto-noble.ts';
import { verifyBundle, type ProofBundle } from '../../ledger/bundle.ts';
import { runDemo, type DemoResult } from '../../trace/demo.ts';
import { unitHistory } from '../../trace/queries/index.ts';

let dir: string;
let db: string;
let demo: DemoResult;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'drugtrace-proof-export-'));
  db = join(dir, 'demo.db');
  demo = runDemo(db);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = runCli;

const historyOf = (code: string) => {
  const ledger = Ledger.open(db);
  try {
    return unitHistory(ledger, code);
  } finally {
    ledger.close();
  }
};

describe('drugtrace proof export CODE', () => {
  it('writes the bundle of a dispensed unit and prints a summary; proof verify passes with either backend, listing each event', async () => {
    const code = demo.units.B2601[0];
    const out = join(dir, 'dispensed.json');
    const r = await run(['proof', 'export', code, '--out', out, '--db', db, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      ok: true,
      out,
      code,
      events: 10,
      recalls: 0,
      positions: [17, 18, 19, 21, 23, 27, 31],
      entries: 11,
      items: 10,
      checkpointSize: 36,
      checkpointCreated: true,
      witnesses: 0,
      origin: 'drugtrace.example/demo',
    });
    const history = historyOf(code);
    for (const crypto of ['noble', 'node']) {
      const v = await run(['proof', 'verify', out, '--crypto', crypto, '--json']);
      expect(v.code).toBe(0);
      const report = JSON.parse(v.stdout);
      expect(report).toMatchObject({ ok: true, size: 36, recalls: [] });
      expect(report.events.map((e: { position: number; item: number; hashId: string }) => [e.position, e.item, e.hashId])).toEqual(
        history.events.map((e) => [e.position, e.item, e.hashId]),
      );
    }
    const human = await run(['proof', 'verify', out]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('proven history: 10 event(s), 0 recall(s), in ledger order');
    expect(human.stdout).toMatch(/#31\.1 {2}\S+ {2}ObjectEvent OBSERVE dispensing .* by pharmacy-5 {2}ni:\/\/\/sha-256;[0-9a-f]{64}\?ver=CBV2\.0/);
    expect(human.stdout).toContain('verified — 11 entries against drugtrace.example/demo at size 36');
  });

  it('a recalled unit: the bundle carries the recall, and verify lists it', async () => {
    const out = join(dir, 'recalled.json');
    const r = await run(['proof', 'export', demo.lookAt.recalled, '--out', out, '--db', db]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^wrote .*recalled\.json: .*, 9 events in 6 capture entries and 1 recall entry \(\d+ entries with the signer keys' registrations\) against checkpoint size 36\n$/);
    const v = await run(['proof', 'verify', out, '--json', '--crypto', 'noble']);
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout).recalls).toEqual([{ position: 35, party: 'mah-huaxin', kind: 'recall', product: '09521234000013', lot: 'A2601', reason: 'capsule dissolution out of specification' }]);
    const human = await run(['proof', 'verify', out]);
    expect(human.stdout).toContain('#35    recall of 09521234000013 lot A2601 by mah-huaxin: capsule dissolution out of specification');
  });

  it('without --out prints the bundle itself on stdout, one JSON document, also with --json', async () => {
    for (const extra of [[], ['--json']]) {
      const r = await run(['proof', 'export', demo.lookAt.dispensed, '--db', db, ...extra]);
      expect(r.code).toBe(0);
      const bundle = JSON.parse(r.stdout) as ProofBundle;
      expect(bundle.format).toBe('drugtrace-proof-bundle/v1');
      expect(bundle.entries.map((e) => e.index).filter((i) => i >= 17)).toEqual([17, 18, 19, 20, 22, 24, 28, 35]);
      expect(verifyBundle(bundle, {}, nobleCrypto).ok).toBe(true);
    }
  });

  it('takes the code in element-string form', async () => {
    const code = demo.units.B2601[0];
    const r = await run(['proof', 'export', `(01)09521234000020(21)${code.split('/21/')[1]}`, '--out', join(dir, 'es.json'), '--db', db, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ code, positions: [17, 18, 19, 21, 23, 27, 31] });
  });

  it('exits 1 naming the code when it was never commissioned or never issued, and writes nothing', async () => {
    for (const code of [demo.lookAt.issuedNotCommissioned, demo.lookAt.neverIssued]) {
      const out = join(dir, 'none.json');
      const r = await run(['proof', 'export', code, '--out', out, '--db', db, '--json']);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: 'TRACE_QUERY_UNKNOWN_CODE', details: { code } } });
      expect(existsSync(out)).toBe(false);
      const human = await run(['proof', 'export', code, '--out', out, '--db', db]);
      expect(human.code).toBe(1);
      expect(human.stderr).toContain(`drugtrace proof export: ${code}: no event recorded for this code`);
      expect(human.stdout).toBe('');
    }
  });

  it('exits 2 for a malformed code', async () => {
    const r = await run(['proof', 'export', 'hello', '--db', db, '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.code).toBe('TRACE_QUERY_BAD_CODE');
  });

  it('exits 2 for CODE with --position, for neither, and for CODE with --items', async () => {
    const code = demo.units.B2601[0];
    const both = await run(['proof', 'export', code, '--position', '17', '--db', db, '--json']);
    expect(both.code).toBe(2);
    expect(JSON.parse(both.stdout).error.code).toBe('CLI_CONFLICTING_ARGUMENTS');
    const neither = await run(['proof', 'export', '--out', join(dir, 'x.json'), '--db', db, '--json']);
    expect(neither.code).toBe(2);
    expect(JSON.parse(neither.stdout).error.code).toBe('CLI_MISSING_ARGUMENT');
    expect(existsSync(join(dir, 'x.json'))).toBe(false);
    const items = await run(['proof', 'export', code, '--items', 'none', '--db', db]);
    expect(items.code).toBe(2);
    expect(items.stderr).toContain('--items goes with --position');
  });

  it('still exports by --position', async () => {
    const out = join(dir, 'positions.json');
    const r = await run(['proof', 'export', '--position', '31', '--out', out, '--db', db, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, positions: [31] });
    expect((JSON.parse(readFileSync(out, 'utf8')) as ProofBundle).entries.find((e) => e.index === 31)!.items).toHaveLength(2);
  });

  it('proof verify exits 1 on a tampered unit bundle, naming the check and the event', async () => {
    const out = join(dir, 'tampered.json');
    await run(['proof', 'export', demo.units.B2601[0], '--out', out, '--db', db]);
    const bundle = JSON.parse(readFileSync(out, 'utf8')) as ProofBundle;
    const item = bundle.entries.find((e) => e.index === 31)!.items![0];
    const bytes = fromBase64(item.data!);
    bytes[10] ^= 1;
    item.data = toBase64(bytes);
    writeFileSync(out, JSON.stringify(bundle));
    const v = await run(['proof', 'verify', out, '--json', '--crypto', 'noble']);
    expect(v.code).toBe(1);
    expect(JSON.parse(v.stdout).firstFailure).toMatchObject({ code: 'BUNDLE_ITEM_HASH_MISMATCH', index: 31, item: 1 });
    const human = await run(['proof', 'verify', out]);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('NOT verified — item-path failed: BUNDLE_ITEM_HASH_MISMATCH');
    expect(human.stdout).not.toContain('proven history');
  });
});
