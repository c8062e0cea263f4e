/** Unit proof bundles (trace/proofs.ts, trace/proof-history.ts) over the demo chain. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ledger } from '../../ledger/ledger.ts';
import { nodeCrypto, sha256 } from '../../ledger/crypto-node.ts';
import { nobleCrypto } from '../../ledger/crypto-noble.ts';
import { fromBase64, toBase64 } from '../../ledger/bytes.ts';
import { parseEntryBytes } from '../../ledger/entry.ts';
import { serializeBundle, verifyBundle, type BundleReport, type ProofBundle } from '../../ledger/bundle.ts';
import { formatVerifierKey, SIGNATURE_TYPE_ED25519 } from '../../ledger/note.ts';
import { runDemo, type DemoResult } from '../../trace/demo.ts';
import { unitHistory } from '../../trace/queries/index.ts';
import { exportUnitBundle, selectUnitProof } from '../../trace/proofs.ts';
import { cosignLatestCheckpoint } from '../ledger/helpers.ts';
import { provenHistory } from '../../trace/proof-history.ts';
import { ACME_GTIN, CHAIN, gtin, sgtin, TraceWorld } from './helpers/chain.ts';
import { eventHashId } from '../../trace/epcis/event-hash.ts';

let dir: string;
let demo: DemoResult;
let ledger: Ledger;
/** A unit of lot B2601: pallet 2 → case → dist-south → pharmacy 5 → dispensed; its lot is not recalled. */
let dispensedCode: string;
/** A unit of the recalled lot A2601 (case 1 → pharmacy 1, still on the shelf). */
let recalledCode: string;
let dispensedBundle: ProofBundle;
let recalledBundle: ProofBundle;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'drugtrace-proofs-'));
  demo = runDemo(join(dir, 'demo.db'));
  ledger = Ledger.open(join(dir, 'demo.db'));
  dispensedCode = demo.units.B2601[0];
  recalledCode = demo.lookAt.recalled;
  dispensedBundle = exportUnitBundle(ledger, dispensedCode).bundle;
  recalledBundle = exportUnitBundle(ledger, recalledCode).bundle;
});
afterAll(() => {
  ledger?.close();
  rmSync(dir, { recursive: true, force: true });
});

const copy = (b: ProofBundle): ProofBundle => JSON.parse(serializeBundle(b)) as ProofBundle;
const entryAt = (b: ProofBundle, index: number) => b.entries.find((e) => e.index === index)!;
const failure = (r: BundleReport) => r.firstFailure && { code: r.firstFailure.code, check: r.firstFailure.check, index: r.firstFailure.index, item: r.firstFailure.item };
const kindOf = (b: ProofBundle, index: number) => parseEntryBytes(fromBase64(entryAt(b, index).entry)).body;

describe('selectUnitProof', () => {
  it('a dispensed unit: the capture entries of its own and its containers’ events, and only those items', () => {
    const s = selectUnitProof(ledger, dispensedCode);
    expect(s.code).toBe(dispensedCode);
    expect(s.positions).toEqual([17, 18, 19, 21, 23, 27, 31]);
    expect(s.items).toEqual({ 17: [2], 18: [6, 8], 19: [1], 21: [0], 23: [0, 3], 27: [0, 2], 31: [1] });
    expect(s.events.map((e) => e.bizStep)).toEqual(['commissioning', 'packing', 'packing', 'shipping', 'receiving', 'unpacking', 'shipping', 'receiving', 'unpacking', 'dispensing']);
    expect(s.recalls).toEqual([]);
  });

  it('a recalled unit: its lot’s recall entry too', () => {
    const s = selectUnitProof(ledger, recalledCode);
    expect(s.positions).toEqual([17, 18, 19, 20, 22, 24, 35]);
    expect(s.items).toEqual({ 17: [0], 18: [0, 7], 19: [0], 20: [0], 22: [0, 1], 24: [0, 1] });
    expect(s.recalls).toEqual([{ position: 35, kind: 'recall', party: 'mah-huaxin', reason: 'capsule dissolution out of specification' }]);
  });

  it('accepts the code in element-string form and names the canonical code', () => {
    const serial = dispensedCode.split('/21/')[1];
    expect(selectUnitProof(ledger, `(01)09521234000020(21)${serial}`).positions).toEqual([17, 18, 19, 21, 23, 27, 31]);
  });

  it('refuses a code never commissioned, and one never issued, naming the code', () => {
    for (const code of [demo.lookAt.issuedNotCommissioned, demo.lookAt.neverIssued]) {
      let err: unknown;
      try {
        selectUnitProof(ledger, code);
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code: 'TRACE_QUERY_UNKNOWN_CODE', details: { code } });
      expect((err as Error).message).toContain(code);
    }
  });

  it('refuses a malformed code as TRACE_QUERY_BAD_CODE', () => {
    expect(() => selectUnitProof(ledger, 'not a code')).toThrow(expect.objectContaining({ code: 'TRACE_QUERY_BAD_CODE' }));
  });
});

describe('exportUnitBundle', () => {
  it('holds the genesis, each signer’s key registration and the capture entries, nothing else', () => {
    const indexes = dispensedBundle.entries.map((e) => e.index);
    expect(indexes.filter((i) => i >= 17)).toEqual([17, 18, 19, 21, 23, 27, 31]);
    const support = indexes.filter((i) => i < 17);
    expect(support[0]).toBe(0);
    const registered = support.slice(1).map((i) => kindOf(dispensedBundle, i));
    expect(registered.every((b) => b.kind === 'key_registration' && b.signer.party === 'operator')).toBe(true);
    expect(registered.map((b) => b.payload.party).sort()).toEqual(['dist-south', 'mah-huaxin', 'pharmacy-5']);
    // every signer of a capture entry has its key registered by an entry in the bundle
    for (const i of [17, 18, 19, 21, 23, 27, 31]) {
      const { signer } = kindOf(dispensedBundle, i);
      expect(registered.some((r) => r.payload.party === signer.party && r.payload.keyId === signer.keyId)).toBe(true);
    }
  });

  it('carries only the unit’s items of each document (18 has 9 events; 2 go in) with their bytes', () => {
    expect(ledger.items(18)).toHaveLength(9);
    const items = Object.fromEntries(dispensedBundle.entries.filter((e) => e.items).map((e) => [e.index, e.items!.map((i) => i.index)]));
    expect(items).toEqual({ 17: [2], 18: [6, 8], 19: [1], 21: [0], 23: [0, 3], 27: [0, 2], 31: [1] });
    for (const e of dispensedBundle.entries.filter((x) => x.items)) {
      const stored = ledger.items(e.index);
      for (const item of e.items!) {
        expect(item.data).toBe(toBase64(stored[item.index].bytes));
        expect(item.path).toEqual(stored[item.index].path.map(toBase64));
      }
      // the other events of the document are not in the bundle, not even their hashes
      const carried = new Set(e.items!.map((i) => i.hash));
      const others = stored.filter((it) => !e.items!.some((i) => i.index === it.index));
      expect(others.some((it) => carried.has(toBase64(it.hash)))).toBe(false);
    }
    const text = dispensedBundle.entries.flatMap((e) => e.items ?? []).map((i) => new TextDecoder().decode(fromBase64(i.data!))).join('\n');
    expect(text).toContain(dispensedCode);
    // a unit of another lot in the same documents (18: packing of every case) stays out
    expect(text.includes(demo.units.A2602[3])).toBe(false);
  });

  it('the recalled unit’s bundle carries the recall entry, without items', () => {
    const recall = entryAt(recalledBundle, 35);
    expect(recall.items).toBeUndefined();
    expect(kindOf(recalledBundle, 35)).toMatchObject({ kind: 'recall', payload: { lot: 'A2601' } });
  });

  it('proves against a checkpoint covering every entry, signed for the export when the log had none', () => {
    expect(Number(dispensedBundle.checkpoint.split('\n')[1])).toBe(36);
    expect(ledger.latestCheckpoint()?.size).toBe(36);
    // exported again with no growth: the same checkpoint, none signed
    const again = exportUnitBundle(ledger, dispensedCode);
    expect(again.checkpointCreated).toBe(false);
    expect(again.bundle.checkpoint).toBe(dispensedBundle.checkpoint);
  });

  for (const backend of [nobleCrypto, nodeCrypto]) {
    it(`verifies with the ${backend.name} backend, every entry signed and every item path checked`, () => {
      for (const bundle of [dispensedBundle, recalledBundle]) {
        const report = verifyBundle(copy(bundle), { trustedOperatorKeys: [formatVerifierKey(sha256, ledger.origin, SIGNATURE_TYPE_ED25519, ledger.operatorPublicKey)] }, backend);
        expect(failure(report)).toBeUndefined();
        expect(report.ok).toBe(true);
        const itemChecks = report.checks.filter((c) => c.check === 'item-path');
        expect(itemChecks).toHaveLength(bundle.entries.reduce((n, e) => n + (e.items?.length ?? 0), 0));
        expect(itemChecks.every((c) => c.status === 'pass')).toBe(true);
        expect(report.checks.filter((c) => c.check === 'entry-signature' && c.status === 'pass')).toHaveLength(bundle.entries.length);
      }
    });
  }
});

describe('provenHistory', () => {
  it('lists the unit’s history from the verified bundle alone: same places, same Event Hash IDs, same order', () => {
    const report = verifyBundle(copy(dispensedBundle));
    const proven = provenHistory(copy(dispensedBundle), report);
    const history = unitHistory(ledger, dispensedCode);
    expect(proven.events.map((e) => [e.position, e.item, e.hashId, e.bizStep, e.party])).toEqual(history.events.map((e) => [e.position, e.item, e.hashId, e.bizStep, e.party]));
    expect(proven.events.at(-1)).toMatchObject({ eventType: 'ObjectEvent', bizStep: 'dispensing', party: 'pharmacy-5' });
    expect(proven.events[0].codes).toContain(dispensedCode);
    expect(proven.recalls).toEqual([]);
  });

  it('lists the recall of the recalled unit’s lot', () => {
    const proven = provenHistory(copy(recalledBundle), verifyBundle(copy(recalledBundle)));
    expect(proven.recalls).toEqual([{ position: 35, party: 'mah-huaxin', kind: 'recall', product: '09521234000013', lot: 'A2601', reason: 'capsule dissolution out of specification' }]);
    expect(proven.events).toHaveLength(unitHistory(ledger, recalledCode).events.length);
  });

  it('leaves out what did not verify', () => {
    const bad = copy(dispensedBundle);
    entryAt(bad, 31).items![0].path.pop();
    const proven = provenHistory(bad, verifyBundle(bad));
    expect(proven.events.map((e) => `${e.position}.${e.item}`)).not.toContain('31.1');
    expect(proven.events).toHaveLength(9);
  });
});

describe('tampering with a unit bundle', () => {
  const verdict = (b: ProofBundle, backend = nobleCrypto) => failure(verifyBundle(JSON.parse(JSON.stringify(b)), {}, backend));

  it('an event’s bytes changed: the item hash no longer matches', () => {
    const b = copy(dispensedBundle);
    const item = entryAt(b, 31).items![0];
    const forged = new TextDecoder().decode(fromBase64(item.data!)).replace('dispensing', 'receiving');
    item.data = toBase64(new TextEncoder().encode(forged));
    for (const backend of [nobleCrypto, nodeCrypto]) expect(verdict(b, backend)).toEqual({ code: 'BUNDLE_ITEM_HASH_MISMATCH', check: 'item-path', index: 31, item: 1 });
  });

  it('an event’s bytes changed and re-hashed: the path no longer leads to the signed itemsRoot', () => {
    const b = copy(dispensedBundle);
    const item = entryAt(b, 31).items![0];
    const forged = new TextEncoder().encode(new TextDecoder().decode(fromBase64(item.data!)).replace('dispensing', 'receiving'));
    item.data = toBase64(forged);
    item.hash = toBase64(sha256(forged));
    expect(verdict(b)).toEqual({ code: 'BUNDLE_ITEM_PATH', check: 'item-path', index: 31, item: 1 });
  });

  it('a capture entry’s bytes changed: its inclusion proof fails', () => {
    const b = copy(dispensedBundle);
    const bytes = fromBase64(entryAt(b, 23).entry);
    bytes[40] ^= 1;
    entryAt(b, 23).entry = toBase64(bytes);
    expect(verdict(b)).toEqual({ code: 'BUNDLE_INCLUSION_FAILED', check: 'entry-inclusion', index: 23, item: undefined });
  });

  it('an item path element dropped', () => {
    const b = copy(dispensedBundle);
    const item = entryAt(b, 18).items![0];
    expect(item.path).toHaveLength(4);
    item.path.splice(1, 1);
    for (const backend of [nobleCrypto, nodeCrypto]) expect(verdict(b, backend)).toEqual({ code: 'BUNDLE_ITEM_PATH', check: 'item-path', index: 18, item: 6 });
    const last = copy(dispensedBundle);
    entryAt(last, 18).items![1].path.pop();
    expect(verdict(last)).toEqual({ code: 'BUNDLE_ITEM_PATH', check: 'item-path', index: 18, item: 8 });
  });

  it('the checkpoint swapped for a newer one of the same log: the inclusion proofs are for another tree', () => {
    const b = copy(dispensedBundle);
    ledger.registerParty('late-party');
    const newer = exportUnitBundle(ledger, dispensedCode);
    expect(newer.checkpointCreated).toBe(true);
    expect(newer.checkpointSize).toBe(37);
    b.checkpoint = newer.bundle.checkpoint;
    expect(verdict(b)).toMatchObject({ code: 'BUNDLE_INCLUSION_FAILED', check: 'entry-inclusion', index: 0 });
  });

  it('the checkpoint swapped for one signed by another operator key: the signature fails', () => {
    const other = Ledger.init(join(dir, 'other.db'), { origin: ledger.origin });
    try {
      const b = copy(dispensedBundle);
      b.checkpoint = other.checkpoint().cosignedNote;
      expect(verdict(b)).toMatchObject({ code: 'BUNDLE_CHECKPOINT_SIGNATURE', check: 'checkpoint-signature' });
    } finally {
      other.close();
    }
  });

  it('the unit’s events reordered: entries out of ledger order are malformed', () => {
    const b = copy(dispensedBundle);
    const i = b.entries.findIndex((e) => e.index === 27);
    [b.entries[i], b.entries[i + 1]] = [b.entries[i + 1], b.entries[i]];
    expect(verdict(b)).toMatchObject({ code: 'BUNDLE_MALFORMED', check: 'format' });
  });

  it('the unit’s events reordered in place (entries keep their indexes, bytes swapped): inclusion fails', () => {
    const b = copy(dispensedBundle);
    const [x, y] = [entryAt(b, 27), entryAt(b, 31)];
    [x.entry, y.entry] = [y.entry, x.entry];
    [x.items, y.items] = [y.items, x.items];
    expect(verdict(b)).toEqual({ code: 'BUNDLE_INCLUSION_FAILED', check: 'entry-inclusion', index: 27, item: undefined });
  });

  it('two events of one document swapped (indexes kept): the paths fail', () => {
    const b = copy(dispensedBundle);
    const [p, q] = entryAt(b, 23).items!;
    [p.hash, q.hash, p.data, q.data] = [q.hash, p.hash, q.data, p.data];
    expect(verdict(b)).toEqual({ code: 'BUNDLE_ITEM_PATH', check: 'item-path', index: 23, item: 0 });
  });

  it('an event moved to another place in its document (index changed): the path fails', () => {
    const b = copy(dispensedBundle);
    entryAt(b, 31).items![0].index = 0;
    expect(verdict(b)).toEqual({ code: 'BUNDLE_ITEM_PATH', check: 'item-path', index: 31, item: 0 });
  });
});

describe('witness cosignatures', () => {
  it('a stored cosigned checkpoint covering the history is kept, and its cosignatures travel in the bundle', async () => {
    const { size, witness } = await cosignLatestCheckpoint(ledger);
    ledger.registerParty('later-still');
    const result = exportUnitBundle(ledger, recalledCode);
    expect(result.checkpointCreated).toBe(false);
    expect(result.checkpointSize).toBe(size);
    expect(result.bundle.log.witnesses).toEqual([witness.vkey]);
    for (const backend of [nobleCrypto, nodeCrypto]) {
      const report = verifyBundle(copy(result.bundle), { trustedWitnessKeys: [witness.vkey] }, backend);
      expect(failure(report)).toBeUndefined();
      expect(report.trust.validCosignatures).toBe(1);
    }
  });
});

describe('every code of the demo chain', () => {
  it('each unit and container exports a bundle that verifies and proves exactly its history', () => {
    const codes = [...Object.values(demo.units).flat(), ...demo.cases.map((c) => c.code), ...demo.pallets.map((p) => p.code)];
    expect(codes).toHaveLength(42 + 7 + 2);
    for (const code of codes) {
      const { bundle, selection } = exportUnitBundle(ledger, code);
      const report = verifyBundle(copy(bundle), {}, nodeCrypto);
      expect(failure(report), code).toBeUndefined();
      const proven = provenHistory(bundle, report);
      const history = unitHistory(ledger, code);
      expect(proven.events.map((e) => [e.position, e.item, e.hashId]), code).toEqual(history.events.map((e) => [e.position, e.item, e.hashId]));
      expect(proven.recalls.map((r) => r.position), code).toEqual(history.recalls.map((r) => r.position));
      // nothing but the selection: item counts equal the history's events
      expect(bundle.entries.reduce((n, e) => n + (e.items?.length ?? 0), 0), code).toBe(selection.events.length);
    }
  });
});

describe('without the operator key', () => {
  it('uses a stored checkpoint that covers the history, and refuses (LEDGER_NOT_FOUND) when none does', () => {
    const file = join(dir, 'keyless.db');
    const fresh = runDemo(file);
    const keyless = Ledger.open(file, { keyFile: join(dir, 'no-such-key') });
    try {
      expect(() => exportUnitBundle(keyless, fresh.lookAt.recalled)).toThrow(expect.objectContaining({ code: 'LEDGER_NOT_FOUND' }));
      expect(keyless.latestCheckpoint()).toBeUndefined();
      const withKey = Ledger.open(file);
      try {
        expect(withKey.checkpoint().size).toBe(36);
        withKey.registerParty('after-the-checkpoint');
      } finally {
        withKey.close();
      }
      const result = exportUnitBundle(keyless, fresh.lookAt.recalled);
      expect(result).toMatchObject({ checkpointSize: 36, checkpointCreated: false });
      expect(verifyBundle(copy(result.bundle)).ok).toBe(true);
    } finally {
      keyless.close();
    }
  });
});

describe('lineage and withdrawals', () => {
  it('a split pack’s half proves the whole pack’s events up to the split, and its lot’s withdrawal', () => {
    const w = TraceWorld.create();
    try {
      const [A, D] = [CHAIN.acme.glns[0], CHAIN.dist.glns[0]];
      const pack = sgtin(ACME_GTIN, 'BIG1');
      const other = sgtin(ACME_GTIN, 'OTHER');
      const splitGtin = gtin('0614141', '20000');
      const halves = [sgtin(splitGtin, 'H1'), sgtin(splitGtin, 'H2')];
      const e = w.events;
      const commissioned = w.capture('acme', [e.commission([other], A, { lot: 'L8', expiry: '2027-01-31' }), e.commission([pack], A, { lot: 'L9', expiry: '2027-01-31' })]);
      const split = w.capture('acme', [e.transform([pack], halves, A, { lot: 'L9', expiry: '2027-01-31' })]);
      const shipped = w.capture('acme', [e.ship([other], A, D), e.ship(halves, A, D)]);
      const withdrawn = w.recall('acme', splitGtin, 'L9', 'label misprint', true);
      const { bundle, selection } = exportUnitBundle(w.ledger, halves[0]);
      expect(selection.positions).toEqual([commissioned.position, split.position, shipped.position, withdrawn.position]);
      expect(selection.items).toEqual({ [commissioned.position]: [1], [split.position]: [0], [shipped.position]: [1] });
      for (const backend of [nobleCrypto, nodeCrypto]) {
        const report = verifyBundle(copy(bundle), {}, backend);
        expect(failure(report)).toBeUndefined();
        const proven = provenHistory(bundle, report);
        expect(proven.events.map((ev) => [ev.position, ev.item, ev.eventType])).toEqual([
          [commissioned.position, 1, 'ObjectEvent'],
          [split.position, 0, 'TransformationEvent'],
          [shipped.position, 1, 'ObjectEvent'],
        ]);
        expect(proven.events[0].codes).toEqual([pack]);
        expect(proven.recalls).toEqual([{ position: withdrawn.position, party: 'acme', kind: 'withdrawal', product: splitGtin, lot: 'L9', reason: 'label misprint' }]);
      }
    } finally {
      w.close();
    }
  });
});

describe('trace/proof-history.ts in a browser', () => {
  it('imports no node: module, directly or through its imports', async () => {
    const { readFileSync } = await import('node:fs');
    const { dirname, resolve } = await import('node:path');
    const seen = new Set<string>();
    const nodeImports: string[] = [];
    const walk = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, 'utf8');
      for (const m of source.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'([^']+)'/gm)) {
        const spec = m[1];
        if (spec.startsWith('node:')) nodeImports.push(`${file}: ${spec}`);
        else if (spec.startsWith('.')) walk(resolve(dirname(file), spec));
      }
    };
    walk(resolve(import.meta.dirname, '../../trace/proof-history.ts'));
    expect(seen.size).toBeGreaterThan(5);
    expect(nodeImports).toEqual([]);
  });
});

describe('corrections', () => {
  it('an erroneous event comes with its declaration, and the proven history marks it', () => {
    const w = TraceWorld.create();
    try {
      const [A, D, D2] = [CHAIN.acme.glns[0], CHAIN.dist.glns[0], CHAIN.dist2.glns[0]];
      const u1 = sgtin(ACME_GTIN, 'X1');
      const u2 = sgtin(ACME_GTIN, 'X2');
      const u3 = sgtin(ACME_GTIN, 'X3');
      const e = w.events;
      const commissioned = w.capture('acme', [e.commission([u1, u2, u3], A)]);
      const wrong = e.ship([u1], A, D2);
      const shipped = w.capture('acme', [e.ship([u2], A, D), wrong]);
      // the declaration is item 1, after an unrelated event; the corrective shipment item 2
      const fix = w.capture('acme', [e.ship([u3], A, D2), e.declareErroneous(wrong), e.ship([u1], A, D)]);
      const selection = selectUnitProof(w.ledger, u1);
      expect(selection.declarations).toEqual([{ position: fix.position, item: 1, declares: shipped.events[1].hashId }]);
      expect(selection.items).toEqual({ [commissioned.position]: [0], [shipped.position]: [1], [fix.position]: [1, 2] });
      const { bundle } = exportUnitBundle(w.ledger, u1);
      const report = verifyBundle(copy(bundle));
      expect(failure(report)).toBeUndefined();
      const proven = provenHistory(bundle, report);
      expect(proven.events.map((ev) => [ev.position, ev.item, ev.declaredErroneousAt, ev.errorDeclaration?.reason ?? null])).toEqual([
        [commissioned.position, 0, null, null],
        [shipped.position, 1, { position: fix.position, item: 1 }, null],
        [fix.position, 1, null, 'incorrect_data'],
        [fix.position, 2, null, null],
      ]);
      expect(proven.events[2].hashId).toBe(eventHashId(wrong));
    } finally {
      w.close();
    }
  });
});
