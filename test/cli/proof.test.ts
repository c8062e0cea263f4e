import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../cli/main.ts';
import { captureOutput } from '../helpers/run-cli.ts';
import { serializeBundle } from '../../ledger/bundle.ts';
import { fromBase64, toBase64 } from '../../ledger/bytes.ts';
import { MemoryWitnessStore, Witness } from '../../ledger/witness.ts';
import { ORIGIN, backend, seed, standardLog } from '../ledger/bundle-fixture.ts';

const io = captureOutput();

const dir = mkdtempSync(join(tmpdir(), 'drugtrace-proof-'));
const log = standardLog();
const good = log.bundle([2, 3, 4], { itemIndexes: { 3: [2] } });
const goodFile = join(dir, 'good.json');
writeFileSync(goodFile, serializeBundle(good));
const badEntry = structuredClone(good);
const bytes = fromBase64(badEntry.entries[1].entry);
bytes[12] ^= 1;
badEntry.entries[1].entry = toBase64(bytes);
const badFile = join(dir, 'bad.json');
writeFileSync(badFile, serializeBundle(badEntry));
const notJson = join(dir, 'not.json');
writeFileSync(notJson, '{ this is not json');

describe('drugtrace proof verify', () => {
  it('exits 0 and says what it verified', async () => {
    expect(await main(['proof', 'verify', goodFile, '--operator-key', log.operator.vkey])).toBe(0);
    expect(io.stdout).toContain('verified — 3 entries against drugtrace.example/log at size 5');
    expect(io.stdout).not.toContain('operator key was taken from the bundle');
  });

  it('notes an unpinned operator key', async () => {
    expect(await main(['proof', 'verify', goodFile])).toBe(0);
    expect(io.stdout).toContain('the operator key was taken from the bundle');
  });

  it('--json prints the report as one JSON document', async () => {
    expect(await main(['proof', 'verify', goodFile, '--json', '--crypto', 'noble'])).toBe(0);
    const doc = JSON.parse(io.stdout);
    expect(doc.ok).toBe(true);
    expect(doc.size).toBe(5);
    expect(doc.checks.length).toBeGreaterThan(5);
  });

  it('exits 1 naming the failed check', async () => {
    expect(await main(['proof', 'verify', badFile])).toBe(1);
    expect(io.stdout).toContain('NOT verified — entry-inclusion failed: BUNDLE_INCLUSION_FAILED');
    expect(io.stderr).toContain('entry-inclusion failed (BUNDLE_INCLUSION_FAILED)');
  });

  it('exits 1 with the failed check in the JSON report', async () => {
    expect(await main(['proof', 'verify', badFile, '--json'])).toBe(1);
    const doc = JSON.parse(io.stdout);
    expect(doc.ok).toBe(false);
    expect(doc.firstFailure).toMatchObject({ check: 'entry-inclusion', code: 'BUNDLE_INCLUSION_FAILED', index: 3 });
  });

  it('exits 1 when the pinned operator key is not the bundle key', async () => {
    const { ed25519NoteSigner } = await import('../../ledger/note.ts');
    const other = ed25519NoteSigner(backend, ORIGIN, seed(3)).vkey;
    expect(await main(['proof', 'verify', goodFile, '--operator-key', other, '--json'])).toBe(1);
    expect(JSON.parse(io.stdout).firstFailure.code).toBe('BUNDLE_UNTRUSTED_OPERATOR_KEY');
  });

  it('requires the cosignatures of pinned witnesses', async () => {
    const w = new Witness({ name: 'w1.example', secretKey: seed(50), backend, logs: [{ origin: ORIGIN, operatorKeys: [log.operator.vkey] }], store: new MemoryWitnessStore() });
    expect(await main(['proof', 'verify', goodFile, '--witness-key', w.vkey, '--json'])).toBe(1);
    expect(JSON.parse(io.stdout).firstFailure.code).toBe('BUNDLE_QUORUM_NOT_MET');
    const { note } = await w.cosign({ checkpoint: good.checkpoint, proof: [] });
    const cosignedFile = join(dir, 'cosigned.json');
    writeFileSync(cosignedFile, serializeBundle({ ...good, checkpoint: note }));
    io.stdout = '';
    expect(await main(['proof', 'verify', cosignedFile, '--witness-key', w.vkey, '--json'])).toBe(0);
    expect(JSON.parse(io.stdout).trust.validCosignatures).toBe(1);
    io.stdout = '';
    expect(await main(['proof', 'verify', goodFile, '--witness-key', w.vkey, '--quorum', '0', '--json'])).toBe(0);
  });

  it.each([
    ['a missing file', () => [join(dir, 'missing.json')], 'CLI_UNREADABLE_FILE'],
    ['a file that is not JSON', () => [notJson], 'CLI_INVALID_JSON'],
    ['a malformed operator key', () => [goodFile, '--operator-key', 'nope+00000000+AAAA'], 'CLI_BAD_KEY'],
    ['a note key given as witness key', () => [goodFile, '--witness-key', log.operator.vkey], 'CLI_BAD_KEY'],
    ['a bad quorum', () => [goodFile, '--quorum', 'two'], 'CLI_BAD_OPTION'],
    ['an unknown crypto backend', () => [goodFile, '--crypto', 'openssl'], 'CLI_BAD_OPTION'],
  ])('exits 2 for %s', async (_name, args, code) => {
    expect(await main(['proof', 'verify', ...args(), '--json'])).toBe(2);
    expect(JSON.parse(io.stdout).error.code).toBe(code);
  });

  it('exits 2 without a file argument', async () => {
    expect(await main(['proof', 'verify'])).toBe(2);
  });

  it('exits 1 (format check) for JSON that is not a bundle', async () => {
    const file = join(dir, 'array.json');
    writeFileSync(file, '[]');
    expect(await main(['proof', 'verify', file, '--json'])).toBe(1);
    expect(JSON.parse(io.stdout).firstFailure).toMatchObject({ check: 'format', code: 'BUNDLE_MALFORMED' });
  });
});
