/**
 * How the store keeps checkpoints: the operator-signed C2SP signed note in `note`, and each
 * witness's cosignature line with the witness's name and public key in `cosignatures` (JSON), so
 * verifyLedger can re-check every stored signature without outside configuration.
 */
import { nodeCrypto } from './crypto-node.ts';
import { equalBytes, fromBase64 } from './bytes.ts';
import { ed25519NoteSigner, ed25519NoteVerifier, formatNote, NoteError, openNote, parseNote } from './note.ts';
import { formatCheckpoint, openCheckpoint, signCheckpoint } from './checkpoint.ts';
import type { LedgerErrorCode } from './entry.ts';
import { cosignatureVerifier } from './witness.ts';

export interface StoredCosignature {
  /** The witness's key name. */
  name: string;
  /** Base64 of the witness's 32-byte Ed25519 public key. */
  publicKey: string;
  /** The note signature line, `— <name> <base64(key ID || timestamp || signature)>`. */
  line: string;
}

export interface CheckpointRow {
  size: number;
  root: Uint8Array;
  note: string;
  cosignatures: string;
}

/** C2SP tlog-checkpoint body: origin, decimal size, base64 root, each on its own line (no extensions). */
export function checkpointBody(origin: string, size: number, root: Uint8Array): string {
  return formatCheckpoint({ origin, size, rootHash: root, extensions: [] });
}

/** The operator's signed note over the checkpoint body; the note key name is the origin. */
export function signStoredCheckpoint(origin: string, size: number, root: Uint8Array, operatorSecret: Uint8Array): string {
  return signCheckpoint({ origin, size, rootHash: root, extensions: [] }, ed25519NoteSigner(nodeCrypto, origin, operatorSecret));
}

export function parseCosignatures(json: string): StoredCosignature[] {
  const value: unknown = JSON.parse(json);
  if (!Array.isArray(value)) throw new Error('cosignatures: not a JSON array');
  for (const c of value) {
    if (!c || typeof c !== 'object' || typeof c.name !== 'string' || typeof c.publicKey !== 'string' || typeof c.line !== 'string' || Object.keys(c).length !== 3) {
      throw new Error('cosignatures: each must be {name, publicKey, line}');
    }
  }
  return value as StoredCosignature[];
}

/**
 * Checks one cosignature line over a checkpoint body with the witness's key; returns the parsed
 * signature or throws NoteError.
 */
export function checkCosignature(body: string, cosignature: StoredCosignature): void {
  const publicKey = fromBase64(cosignature.publicKey);
  const note = `${body}\n${cosignature.line}\n`;
  const opened = openNote(note, [cosignatureVerifier(nodeCrypto, cosignature.name, publicKey)]);
  if (opened.verified.length !== 1 || opened.unverified.length !== 0) {
    throw new NoteError('NOTE_UNVERIFIED', `cosignature by ${cosignature.name} does not verify`);
  }
}

/** The checkpoint as one signed note: the operator's signature followed by every cosignature. */
export function cosignedNote(row: CheckpointRow): string {
  const note = parseNote(row.note);
  const extra = parseCosignatures(row.cosignatures).map((c) => parseNote(`x\n\n${c.line}\n`).signatures[0]);
  return formatNote({ text: note.text, signatures: [...note.signatures, ...extra] });
}

/** What is wrong with a stored checkpoint row, or undefined when its signatures and body hold. */
export function verifyStoredCheckpoint(
  row: CheckpointRow,
  expected: { origin: string; operatorPublicKey: Uint8Array; root: Uint8Array },
): { code: LedgerErrorCode | 'LEDGER_BAD_CHECKPOINT'; message: string } | undefined {
  const body = checkpointBody(expected.origin, row.size, expected.root);
  try {
    const opened = openCheckpoint(row.note, [ed25519NoteVerifier(nodeCrypto, expected.origin, expected.operatorPublicKey)], expected.origin);
    if (opened.text !== body) return { code: 'LEDGER_BAD_CHECKPOINT', message: 'the signed note is not the checkpoint body for this origin, size and root' };
    if (opened.note.unverified.length > 0) return { code: 'LEDGER_BAD_CHECKPOINT', message: 'the note carries signatures by unknown keys' };
  } catch (err) {
    return { code: 'LEDGER_BAD_CHECKPOINT', message: `operator signature: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (!equalBytes(row.root, expected.root)) return { code: 'LEDGER_BAD_CHECKPOINT', message: 'stored root differs from the tree' };
  let cosignatures: StoredCosignature[];
  try {
    cosignatures = parseCosignatures(row.cosignatures);
  } catch (err) {
    return { code: 'LEDGER_BAD_COSIGNATURE', message: (err as Error).message };
  }
  for (const c of cosignatures) {
    try {
      checkCosignature(body, c);
    } catch (err) {
      return { code: 'LEDGER_BAD_COSIGNATURE', message: `cosignature by ${c.name}: ${err instanceof Error ? err.message : String(err)}` };
    }
  }
  return undefined;
}
