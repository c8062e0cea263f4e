import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../../ledger/crypto-node.ts';
import { nobleCrypto } from '../../ledger/crypto-noble.ts';
import { fromBase64, fromHex, readUint64BE, utf8 } from '../../ledger/bytes.ts';
import { signCheckpoint } from '../../ledger/checkpoint.ts';
import { ed25519NoteSigner, openNote, parseNote, NoteError } from '../../ledger/note.ts';
import { MemorySubtreeSource, consistencyProof } from '../../ledger/merkle.ts';
import {
  MemoryWitnessStore,
  Witness,
  WitnessError,
  cosignatureMessage,
  cosignatureSigner,
  cosignatureVerifier,
  formatWitnessKey,
  parseWitnessKey,
  verifyCosignatures,
  formatAddCheckpointRequest,
  parseAddCheckpointRequest,
  witnessHttpStatus,
} from '../../ledger/witness.ts';
import { toBase64 } from '../../ledger/bytes.ts';
import type { CryptoBackend } from '../../ledger/hash.ts';

const ORIGIN = 'drugtrace.example/log';
const OPERATOR_SEED = fromHex('15b00ed2b984f74d04b44102f2590f9a715c55cfd2f9dc73a7c9445ae970ff80');
const seed = (n: number) => new Uint8Array(32).fill(n);

async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof WitnessError) return e.code;
    throw e;
  }
  return 'no error';
}

function setup(backend: CryptoBackend, clock = { t: 1_700_000_000 }) {
  const operator = ed25519NoteSigner(backend, ORIGIN, OPERATOR_SEED);
  const tree = new MemorySubtreeSource(backend.sha256);
  const store = new MemoryWitnessStore();
  const witness = new Witness({
    name: 'witness.example/w1',
    secretKey: seed(1),
    backend,
    logs: [{ origin: ORIGIN, operatorKeys: [operator.vkey] }],
    store,
    now: () => clock.t,
  });
  const grow = (to: number) => {
    while (tree.size < to) tree.appendEntry(utf8(`entry ${tree.size}`));
  };
  const checkpointAt = (size: number) => signCheckpoint({ origin: ORIGIN, size, rootHash: tree.root(size), extensions: [] }, operator);
  return { operator, tree, store, witness, grow, checkpointAt, clock };
}

describe('cosignature format (c2sp.org/tlog-cosignature, Ed25519 v1)', () => {
  it('signs "cosignature/v1\\ntime <t>\\n" followed by the checkpoint body', () => {
    const body = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
    expect(new TextDecoder().decode(cosignatureMessage(body, 1679315147))).toBe(`cosignature/v1\ntime 1679315147\n${body}`);
  });

  it('uses key type 0x04 and a 72-byte timestamped signature', () => {
    const signer = cosignatureSigner(nodeCrypto, 'witness.example/w1', seed(1), () => 1234567890);
    expect(fromBase64(signer.vkey.split('+')[2])[0]).toBe(0x04);
    const sig = signer.sign(utf8('a\n1\nAAAA\n'));
    expect(sig).toHaveLength(72);
    expect(readUint64BE(sig, 0)).toBe(1234567890);
    const verifier = parseWitnessKey(nodeCrypto, signer.vkey);
    expect(verifier.keyId).toBe(signer.keyId);
    expect(verifier.verify(utf8('a\n1\nAAAA\n'), sig)).toBe(true);
    // The timestamp is signed: changing it breaks the signature.
    const shifted = new Uint8Array(sig);
    shifted[7] ^= 1;
    expect(verifier.verify(utf8('a\n1\nAAAA\n'), shifted)).toBe(false);
    expect(verifier.verify(utf8('a\n1\nAAAA\n'), sig.subarray(8))).toBe(false);
  });

  it('has key IDs distinct from a note key with the same name and public key', () => {
    const w = cosignatureSigner(nodeCrypto, 'same.example/name', seed(2));
    const n = ed25519NoteSigner(nodeCrypto, 'same.example/name', seed(2));
    expect(w.keyId).not.toBe(n.keyId);
  });

  it('refuses to read a note key (type 0x01) as a witness key', () => {
    const n = ed25519NoteSigner(nodeCrypto, 'w.example', seed(2));
    expect(() => parseWitnessKey(nodeCrypto, n.vkey)).toThrow(NoteError);
    expect(formatWitnessKey(nodeCrypto, 'w.example', n.publicKey)).not.toBe(n.vkey);
  });
});

describe.each([nodeCrypto, nobleCrypto])('Witness on $name', (backend) => {
  it('cosigns a first checkpoint (from the empty tree) and a consistent later one', async () => {
    const s = setup(backend);
    s.grow(5);
    const first = await s.witness.cosign({ checkpoint: s.checkpointAt(5), proof: [] });
    expect(first.checkpoint.size).toBe(5);
    expect(first.line.startsWith('— witness.example/w1 ')).toBe(true);
    expect(first.timestamp).toBe(1_700_000_000);
    expect(s.store.get(ORIGIN)!.size).toBe(5);

    s.grow(13);
    s.clock.t += 60;
    const second = await s.witness.cosign({ checkpoint: s.checkpointAt(13), proof: consistencyProof(backend.sha256, 5, 13, s.tree), oldSize: 5 });
    expect(second.timestamp).toBe(1_700_000_060);
    expect(s.store.get(ORIGIN)!.size).toBe(13);
    // The returned note opens with both the operator and the witness key.
    const opened = openNote(second.note, [cosignatureVerifier(backend, s.witness.name, s.witness.publicKey)]);
    expect(opened.verified).toHaveLength(1);
  });

  it('cosigns the same checkpoint again without a proof', async () => {
    const s = setup(backend);
    s.grow(4);
    await s.witness.cosign({ checkpoint: s.checkpointAt(4), proof: [] });
    const again = await s.witness.cosign({ checkpoint: s.checkpointAt(4), proof: [] });
    expect(again.checkpoint.size).toBe(4);
  });

  it('refuses a smaller checkpoint (WITNESS_ROLLBACK)', async () => {
    const s = setup(backend);
    s.grow(9);
    await s.witness.cosign({ checkpoint: s.checkpointAt(9), proof: [] });
    expect(await rejection(s.witness.cosign({ checkpoint: s.checkpointAt(8), proof: [] }))).toBe('WITNESS_ROLLBACK');
  });

  it('refuses a checkpoint that does not extend the cosigned one (WITNESS_INCONSISTENT)', async () => {
    const s = setup(backend);
    s.grow(6);
    await s.witness.cosign({ checkpoint: s.checkpointAt(6), proof: [] });
    // A forked log: same first 5 entries, a different 6th, then growth.
    const fork = new MemorySubtreeSource(backend.sha256);
    for (let i = 0; i < 5; i++) fork.appendEntry(utf8(`entry ${i}`));
    fork.appendEntry(utf8('rewritten history'));
    for (let i = 6; i < 10; i++) fork.appendEntry(utf8(`entry ${i}`));
    const forked = signCheckpoint({ origin: ORIGIN, size: 10, rootHash: fork.root(), extensions: [] }, s.operator);
    expect(await rejection(s.witness.cosign({ checkpoint: forked, proof: consistencyProof(backend.sha256, 6, 10, fork) }))).toBe('WITNESS_INCONSISTENT');
    // Same size, different root.
    const sameSize = signCheckpoint({ origin: ORIGIN, size: 6, rootHash: fork.root(6), extensions: [] }, s.operator);
    expect(await rejection(s.witness.cosign({ checkpoint: sameSize, proof: [] }))).toBe('WITNESS_INCONSISTENT');
    // A valid extension with a wrong or missing proof.
    s.grow(10);
    const good = s.checkpointAt(10);
    expect(await rejection(s.witness.cosign({ checkpoint: good, proof: [] }))).toBe('WITNESS_INCONSISTENT');
    expect(await rejection(s.witness.cosign({ checkpoint: good, proof: consistencyProof(backend.sha256, 5, 10, s.tree) }))).toBe('WITNESS_INCONSISTENT');
    // The refusals left the state alone.
    expect(s.store.get(ORIGIN)!.size).toBe(6);
    expect((await s.witness.cosign({ checkpoint: good, proof: consistencyProof(backend.sha256, 6, 10, s.tree) })).checkpoint.size).toBe(10);
  });

  it('refuses a checkpoint not signed by the operator (WITNESS_BAD_SIGNATURE)', async () => {
    const s = setup(backend);
    s.grow(3);
    const impostor = ed25519NoteSigner(backend, ORIGIN, seed(9));
    const forged = signCheckpoint({ origin: ORIGIN, size: 3, rootHash: s.tree.root(3), extensions: [] }, impostor);
    expect(await rejection(s.witness.cosign({ checkpoint: forged, proof: [] }))).toBe('WITNESS_BAD_SIGNATURE');
    const tampered = s.checkpointAt(3).replace('\n3\n', '\n2\n');
    expect(await rejection(s.witness.cosign({ checkpoint: tampered, proof: [] }))).toBe('WITNESS_BAD_SIGNATURE');
    expect(s.store.get(ORIGIN)).toBeUndefined();
  });

  it('refuses logs it does not follow, malformed notes and a stale old size', async () => {
    const s = setup(backend);
    const other = ed25519NoteSigner(backend, 'other.example/log', seed(3));
    const foreign = signCheckpoint({ origin: 'other.example/log', size: 0, rootHash: backend.sha256(new Uint8Array(0)), extensions: [] }, other);
    expect(await rejection(s.witness.cosign({ checkpoint: foreign, proof: [] }))).toBe('WITNESS_UNKNOWN_LOG');
    expect(await rejection(s.witness.cosign({ checkpoint: 'not a note', proof: [] }))).toBe('WITNESS_MALFORMED_CHECKPOINT');
    expect(await rejection(s.witness.cosign({ checkpoint: `${ORIGIN}\nx\n\n— a AAAAAAA=\n`, proof: [] }))).toBe('WITNESS_MALFORMED_CHECKPOINT');
    s.grow(2);
    expect(await rejection(s.witness.cosign({ checkpoint: s.checkpointAt(2), proof: [], oldSize: 1 }))).toBe('WITNESS_OLD_SIZE_MISMATCH');
  });

  it('persists the new state before it returns the cosignature', async () => {
    const s = setup(backend);
    const order: string[] = [];
    const slowStore = {
      get: (o: string) => s.store.get(o),
      set: async (o: string, st: { size: number; rootHash: Uint8Array }) => {
        await new Promise((r) => setTimeout(r, 5));
        s.store.set(o, st);
        order.push('persisted');
      },
    };
    const w = new Witness({ name: 'w.example', secretKey: seed(4), backend, logs: [{ origin: ORIGIN, operatorKeys: [s.operator.vkey] }], store: slowStore });
    s.grow(3);
    await w.cosign({ checkpoint: s.checkpointAt(3), proof: [] }).then(() => order.push('returned'));
    expect(order).toEqual(['persisted', 'returned']);
  });

  it('serialises concurrent requests so a fork cannot slip in between check and save', async () => {
    const s = setup(backend);
    s.grow(4);
    const fork = new MemorySubtreeSource(backend.sha256);
    for (let i = 0; i < 4; i++) fork.appendEntry(utf8(`fork ${i}`));
    const a = s.witness.cosign({ checkpoint: s.checkpointAt(4), proof: [] });
    const b = s.witness.cosign({ checkpoint: signCheckpoint({ origin: ORIGIN, size: 4, rootHash: fork.root(), extensions: [] }, s.operator), proof: [] });
    expect((await a).checkpoint.size).toBe(4);
    expect(await rejection(b)).toBe('WITNESS_INCONSISTENT');
  });
});

describe('counting cosignatures against a witness set (quorum)', () => {
  const backend = nodeCrypto;
  it('counts valid cosignatures by known witnesses, ignores unknown ones and flags bad ones', async () => {
    const s = setup(backend);
    s.grow(7);
    const witnesses = [1, 2, 3].map(
      (n) => new Witness({ name: `w${n}.example`, secretKey: seed(10 + n), backend, logs: [{ origin: ORIGIN, operatorKeys: [s.operator.vkey] }], store: new MemoryWitnessStore(), now: () => 1000 + n }),
    );
    let note = s.checkpointAt(7);
    for (const w of witnesses) note = (await w.cosign({ checkpoint: note, proof: [] })).note;
    expect(parseNote(note).signatures).toHaveLength(4);
    const keys = witnesses.map((w) => parseWitnessKey(backend, w.vkey));

    const all = verifyCosignatures(note, keys, 3);
    expect(all.valid.map((v) => [v.name, v.timestamp])).toEqual([
      ['w1.example', 1001],
      ['w2.example', 1002],
      ['w3.example', 1003],
    ]);
    expect(all.quorumMet).toBe(true);
    expect(all.ignored).toBe(1); // the operator's own signature

    const two = verifyCosignatures(note, keys.slice(0, 2), 3);
    expect(two.valid).toHaveLength(2);
    expect(two.quorumMet).toBe(false);
    expect(two.ignored).toBe(2);

    // Break w2's cosignature: it is reported invalid and does not count.
    const lines = note.split('\n');
    const w2Line = lines.findIndex((l) => l.startsWith('— w2.example '));
    lines[w2Line] = lines[w2Line].slice(0, 30) + (lines[w2Line][30] === 'A' ? 'B' : 'A') + lines[w2Line].slice(31);
    const broken = verifyCosignatures(lines.join('\n'), keys, 2);
    expect(broken.invalid.map((i) => i.name)).toEqual(['w2.example']);
    expect(broken.valid).toHaveLength(2);
    expect(broken.quorumMet).toBe(true);
  });

  it('counts a witness once even if its cosignature appears twice', async () => {
    const s = setup(backend);
    s.grow(2);
    const w = new Witness({ name: 'w.example', secretKey: seed(5), backend, logs: [{ origin: ORIGIN, operatorKeys: [s.operator.vkey] }], store: new MemoryWitnessStore() });
    const { note, line } = await w.cosign({ checkpoint: s.checkpointAt(2), proof: [] });
    const doubled = `${note}${line}\n`;
    expect(verifyCosignatures(doubled, [parseWitnessKey(backend, w.vkey)], 2).quorumMet).toBe(false);
  });
});

describe('tlog-witness add-checkpoint bodies', () => {
  const backend = nodeCrypto;

  it('round-trips a request and answers with a cosignature line', async () => {
    const s = setup(backend);
    s.grow(3);
    await s.witness.cosign({ checkpoint: s.checkpointAt(3), proof: [] });
    s.grow(11);
    const proof = consistencyProof(backend.sha256, 3, 11, s.tree);
    const body = formatAddCheckpointRequest({ oldSize: 3, proof, checkpoint: s.checkpointAt(11) });
    expect(body.startsWith(`old 3\n${toBase64(proof[0])}\n`)).toBe(true);
    const parsed = parseAddCheckpointRequest(body);
    expect(parsed.oldSize).toBe(3);
    expect(parsed.proof).toEqual(proof);
    expect(parsed.checkpoint).toBe(s.checkpointAt(11));
    const response = await s.witness.addCheckpoint(body);
    expect(response).toMatch(/^— witness\.example\/w1 [A-Za-z0-9+/]+=*\n$/);
    expect(await s.witness.cosignedSize(ORIGIN)).toBe(11);
  });

  it.each([
    ['no empty line', 'old 0\nabc', 'WITNESS_BAD_REQUEST'],
    ['no old line', '\n\nx', 'WITNESS_BAD_REQUEST'],
    ['old size with a leading zero', 'old 03\n\nx', 'WITNESS_BAD_REQUEST'],
    ['old size negative', 'old -1\n\nx', 'WITNESS_BAD_REQUEST'],
    ['proof line not base64', 'old 3\n!!!!\n\nx', 'WITNESS_BAD_REQUEST'],
    ['proof line of 31 bytes', `old 3\n${toBase64(new Uint8Array(31))}\n\nx`, 'WITNESS_BAD_REQUEST'],
    ['64 proof lines', `old 3\n${`${toBase64(new Uint8Array(32))}\n`.repeat(64)}\nx`, 'WITNESS_BAD_REQUEST'],
    ['a proof with old size 0', `old 0\n${toBase64(new Uint8Array(32))}\n\nx`, 'WITNESS_BAD_REQUEST'],
  ])('refuses a request with %s', (_name, body, code) => {
    let caught: WitnessError | undefined;
    try {
      parseAddCheckpointRequest(body);
    } catch (e) {
      caught = e as WitnessError;
    }
    expect(caught?.code).toBe(code);
  });

  it('maps refusals to the HTTP status codes of the protocol', async () => {
    const s = setup(backend);
    s.grow(6);
    await s.witness.cosign({ checkpoint: s.checkpointAt(6), proof: [] });
    const status = async (p: Promise<unknown>) => {
      try {
        await p;
        return 200;
      } catch (e) {
        return witnessHttpStatus(e as WitnessError);
      }
    };
    const other = ed25519NoteSigner(backend, 'other.example/log', seed(3));
    const foreign = signCheckpoint({ origin: 'other.example/log', size: 0, rootHash: backend.sha256(new Uint8Array(0)), extensions: [] }, other);
    expect(await status(s.witness.addCheckpoint(formatAddCheckpointRequest({ oldSize: 0, proof: [], checkpoint: foreign })))).toBe(404);
    const impostor = signCheckpoint({ origin: ORIGIN, size: 6, rootHash: s.tree.root(6), extensions: [] }, ed25519NoteSigner(backend, ORIGIN, seed(9)));
    expect(await status(s.witness.addCheckpoint(formatAddCheckpointRequest({ oldSize: 6, proof: [], checkpoint: impostor })))).toBe(403);
    expect(await status(s.witness.addCheckpoint(formatAddCheckpointRequest({ oldSize: 7, proof: [], checkpoint: s.checkpointAt(6) })))).toBe(400);
    s.grow(9);
    expect(await status(s.witness.addCheckpoint(formatAddCheckpointRequest({ oldSize: 5, proof: consistencyProof(backend.sha256, 5, 9, s.tree), checkpoint: s.checkpointAt(9) })))).toBe(409);
    expect(await status(s.witness.addCheckpoint(formatAddCheckpointRequest({ oldSize: 6, proof: consistencyProof(backend.sha256, 5, 9, s.tree), checkpoint: s.checkpointAt(9) })))).toBe(422);
    const fork = new MemorySubtreeSource(backend.sha256);
    for (let i = 0; i < 6; i++) fork.appendEntry(utf8(`fork ${i}`));
    const forked = signCheckpoint({ origin: ORIGIN, size: 6, rootHash: fork.root(), extensions: [] }, s.operator);
    expect(await status(s.witness.addCheckpoint(formatAddCheckpointRequest({ oldSize: 6, proof: [], checkpoint: forked })))).toBe(409);
    expect(await status(s.witness.addCheckpoint(formatAddCheckpointRequest({ oldSize: 6, proof: consistencyProof(backend.sha256, 6, 9, s.tree), checkpoint: s.checkpointAt(9) })))).toBe(200);
  });
});
