import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../../ledger/crypto-node.ts';
import { nobleCrypto } from '../../ledger/crypto-noble.ts';
import { fromHex, toBase64 } from '../../ledger/bytes.ts';
import { CheckpointError, formatCheckpoint, openCheckpoint, parseCheckpoint, peekCheckpoint, signCheckpoint } from '../../ledger/checkpoint.ts';
import { NoteError, ed25519NoteSigner, noteVerifierFromKey, signNote } from '../../ledger/note.ts';
import { MemorySubtreeSource } from '../../ledger/merkle.ts';

const ROOT = fromHex('5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328');
const ROOT_B64 = toBase64(ROOT);
const ORIGIN = 'drugtrace.example/log';
const SEED = fromHex('15b00ed2b984f74d04b44102f2590f9a715c55cfd2f9dc73a7c9445ae970ff80');

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof CheckpointError || e instanceof NoteError) return e.code;
    throw e;
  }
  return 'no error';
}

describe('checkpoint body (c2sp.org/tlog-checkpoint)', () => {
  it('formats origin, decimal size and base64 root, one per line', () => {
    expect(formatCheckpoint({ origin: ORIGIN, size: 8, rootHash: ROOT, extensions: [] })).toBe(`${ORIGIN}\n8\n${ROOT_B64}\n`);
    expect(formatCheckpoint({ origin: ORIGIN, size: 0, rootHash: ROOT, extensions: ['ext one', 'two'] })).toBe(`${ORIGIN}\n0\n${ROOT_B64}\next one\ntwo\n`);
  });

  it('parses the spec example', () => {
    const cp = parseCheckpoint('example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n');
    expect(cp.origin).toBe('example.com/behind-the-sofa');
    expect(cp.size).toBe(20852163);
    expect(cp.rootHash).toHaveLength(32);
    expect(cp.extensions).toEqual([]);
  });

  it('round-trips with extension lines', () => {
    const text = `${ORIGIN}\n12345\n${ROOT_B64}\nextension\n`;
    expect(formatCheckpoint(parseCheckpoint(text))).toBe(text);
  });

  it.each([
    ['no final newline', `${ORIGIN}\n8\n${ROOT_B64}`, 'CHECKPOINT_NOT_TERMINATED'],
    ['two lines', `${ORIGIN}\n8\n`, 'CHECKPOINT_TOO_FEW_LINES'],
    ['empty origin', `\n8\n${ROOT_B64}\n`, 'CHECKPOINT_BAD_ORIGIN'],
    ['leading zero in size', `${ORIGIN}\n08\n${ROOT_B64}\n`, 'CHECKPOINT_BAD_SIZE'],
    ['negative size', `${ORIGIN}\n-1\n${ROOT_B64}\n`, 'CHECKPOINT_BAD_SIZE'],
    ['size with a plus sign', `${ORIGIN}\n+8\n${ROOT_B64}\n`, 'CHECKPOINT_BAD_SIZE'],
    ['size in hex', `${ORIGIN}\n0x8\n${ROOT_B64}\n`, 'CHECKPOINT_BAD_SIZE'],
    ['size with a space', `${ORIGIN}\n8 \n${ROOT_B64}\n`, 'CHECKPOINT_BAD_SIZE'],
    ['empty size', `${ORIGIN}\n\n${ROOT_B64}\n`, 'CHECKPOINT_BAD_SIZE'],
    ['size over 2^53', `${ORIGIN}\n9007199254740993\n${ROOT_B64}\n`, 'CHECKPOINT_BAD_SIZE'],
    ['root not base64', `${ORIGIN}\n8\nnot base64!\n`, 'CHECKPOINT_BAD_ROOT'],
    ['root of 31 bytes', `${ORIGIN}\n8\n${toBase64(ROOT.subarray(1))}\n`, 'CHECKPOINT_BAD_ROOT'],
    ['root in hex', `${ORIGIN}\n8\n${'ab'.repeat(32)}\n`, 'CHECKPOINT_BAD_ROOT'],
    ['unpadded root', `${ORIGIN}\n8\n${ROOT_B64.replace('=', '')}\n`, 'CHECKPOINT_BAD_ROOT'],
    ['empty extension line', `${ORIGIN}\n8\n${ROOT_B64}\n\n`, 'CHECKPOINT_EMPTY_EXTENSION'],
  ])('refuses %s -> %s', (_name, text, expected) => {
    expect(code(() => parseCheckpoint(text))).toBe(expected);
  });

  it('refuses to format impossible checkpoints', () => {
    expect(code(() => formatCheckpoint({ origin: '', size: 1, rootHash: ROOT, extensions: [] }))).toBe('CHECKPOINT_BAD_ORIGIN');
    expect(code(() => formatCheckpoint({ origin: ORIGIN, size: -1, rootHash: ROOT, extensions: [] }))).toBe('CHECKPOINT_BAD_SIZE');
    expect(code(() => formatCheckpoint({ origin: ORIGIN, size: 1.5, rootHash: ROOT, extensions: [] }))).toBe('CHECKPOINT_BAD_SIZE');
    expect(code(() => formatCheckpoint({ origin: ORIGIN, size: 1, rootHash: ROOT.subarray(2), extensions: [] }))).toBe('CHECKPOINT_BAD_ROOT');
    expect(code(() => formatCheckpoint({ origin: ORIGIN, size: 1, rootHash: ROOT, extensions: [''] }))).toBe('CHECKPOINT_EMPTY_EXTENSION');
  });
});

describe.each([nodeCrypto, nobleCrypto])('signed checkpoints on $name', (backend) => {
  const operator = ed25519NoteSigner(backend, ORIGIN, SEED);
  const verifier = noteVerifierFromKey(backend, operator.vkey);

  it('signs a checkpoint over a real tree and opens it with the operator key', () => {
    const tree = new MemorySubtreeSource(backend.sha256);
    for (let i = 0; i < 10; i++) tree.appendEntry(Uint8Array.of(i));
    const note = signCheckpoint({ origin: ORIGIN, size: 10, rootHash: tree.root(), extensions: [] }, operator);
    const opened = openCheckpoint(note, [verifier], ORIGIN);
    expect(opened.checkpoint.size).toBe(10);
    expect(opened.checkpoint.rootHash).toEqual(tree.root());
    expect(peekCheckpoint(note).checkpoint.origin).toBe(ORIGIN);
  });

  it('refuses a checkpoint for another origin, an altered size or root, or without the operator', () => {
    const note = signCheckpoint({ origin: ORIGIN, size: 8, rootHash: ROOT, extensions: [] }, operator);
    expect(code(() => openCheckpoint(note, [verifier], 'other.example/log'))).toBe('CHECKPOINT_WRONG_ORIGIN');
    expect(code(() => openCheckpoint(note.replace('\n8\n', '\n9\n'), [verifier]))).toBe('NOTE_INVALID_SIGNATURE');
    const otherRoot = toBase64(new Uint8Array(32));
    expect(code(() => openCheckpoint(note.replace(ROOT_B64, otherRoot), [verifier]))).toBe('NOTE_INVALID_SIGNATURE');
    const stranger = ed25519NoteSigner(backend, ORIGIN, new Uint8Array(32).fill(7));
    expect(code(() => openCheckpoint(note, [noteVerifierFromKey(backend, stranger.vkey)]))).toBe('NOTE_UNVERIFIED');
  });

  it('refuses a validly signed note whose body is not a checkpoint', () => {
    const note = signCheckpoint({ origin: ORIGIN, size: 8, rootHash: ROOT, extensions: [] }, operator);
    const notCheckpoint = note.replace(`${ORIGIN}\n8\n${ROOT_B64}\n`, 'hello\n');
    expect(code(() => openCheckpoint(notCheckpoint, [verifier]))).toBe('NOTE_INVALID_SIGNATURE');
    const signedGarbage = signNote('hello\n', [operator]);
    expect(code(() => openCheckpoint(signedGarbage, [verifier]))).toBe('CHECKPOINT_TOO_FEW_LINES');
  });
});
