/**
 * C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint): the note text
 * `<origin>\n<size>\n<base64 root>\n` plus optional non-empty extension lines, signed as a
 * C2SP signed note by the log operator. Browser-safe.
 */
import { BytesError, fromBase64, toBase64 } from './bytes.ts';
import { NoteError, openNote, parseNote, signNote, type NoteSigner, type NoteVerifier, type OpenedNote } from './note.ts';
import { HASH_SIZE } from './merkle.ts';

export type CheckpointErrorCode =
  | 'CHECKPOINT_NOT_TERMINATED'
  | 'CHECKPOINT_TOO_FEW_LINES'
  | 'CHECKPOINT_BAD_ORIGIN'
  | 'CHECKPOINT_BAD_SIZE'
  | 'CHECKPOINT_BAD_ROOT'
  | 'CHECKPOINT_EMPTY_EXTENSION'
  | 'CHECKPOINT_WRONG_ORIGIN'
  | 'CHECKPOINT_NOT_SIGNED_BY_OPERATOR';

export class CheckpointError extends Error {
  constructor(
    readonly code: CheckpointErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CheckpointError';
  }
}

export interface Checkpoint {
  origin: string;
  /** Number of leaves. */
  size: number;
  /** RFC 9162 root hash at `size`, 32 bytes. */
  rootHash: Uint8Array;
  /** Opaque extension lines (not recommended by the spec; kept so signatures still verify). */
  extensions: string[];
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;

function checkOrigin(origin: string): void {
  if (typeof origin !== 'string' || origin.length === 0) throw new CheckpointError('CHECKPOINT_BAD_ORIGIN', 'origin line is empty');
  if (/[\n]/.test(origin)) throw new CheckpointError('CHECKPOINT_BAD_ORIGIN', 'origin contains a newline');
}

/** The checkpoint's note text (the body that gets signed). */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  checkOrigin(checkpoint.origin);
  if (!Number.isSafeInteger(checkpoint.size) || checkpoint.size < 0) throw new CheckpointError('CHECKPOINT_BAD_SIZE', `size ${checkpoint.size} is not a non-negative integer`);
  if (!(checkpoint.rootHash instanceof Uint8Array) || checkpoint.rootHash.length !== HASH_SIZE) throw new CheckpointError('CHECKPOINT_BAD_ROOT', 'root hash must be 32 bytes');
  for (const line of checkpoint.extensions ?? []) {
    if (line.length === 0) throw new CheckpointError('CHECKPOINT_EMPTY_EXTENSION', 'extension lines must be non-empty');
    if (line.includes('\n')) throw new CheckpointError('CHECKPOINT_EMPTY_EXTENSION', 'an extension line contains a newline');
  }
  const lines = [checkpoint.origin, String(checkpoint.size), toBase64(checkpoint.rootHash), ...(checkpoint.extensions ?? [])];
  return lines.join('\n') + '\n';
}

/** Parses checkpoint note text strictly (no signature checks). */
export function parseCheckpoint(text: string): Checkpoint {
  if (typeof text !== 'string' || !text.endsWith('\n')) throw new CheckpointError('CHECKPOINT_NOT_TERMINATED', 'checkpoint text must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw new CheckpointError('CHECKPOINT_TOO_FEW_LINES', `checkpoint has ${lines.length} lines, needs origin, size and root hash`);
  const [origin, sizeText, rootText, ...extensions] = lines;
  checkOrigin(origin);
  if (!DECIMAL.test(sizeText)) throw new CheckpointError('CHECKPOINT_BAD_SIZE', `size line ${JSON.stringify(sizeText)} is not a decimal without leading zeros`);
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) throw new CheckpointError('CHECKPOINT_BAD_SIZE', `size ${sizeText} is larger than 2^53 - 1`);
  let rootHash: Uint8Array;
  try {
    rootHash = fromBase64(rootText);
  } catch (err) {
    throw new CheckpointError('CHECKPOINT_BAD_ROOT', `root hash line: ${(err as BytesError).message}`);
  }
  if (rootHash.length !== HASH_SIZE) throw new CheckpointError('CHECKPOINT_BAD_ROOT', `root hash is ${rootHash.length} bytes, expected ${HASH_SIZE}`);
  extensions.forEach((line, i) => {
    if (line.length === 0) throw new CheckpointError('CHECKPOINT_EMPTY_EXTENSION', `extension line ${i + 1} is empty`);
  });
  return { origin, size, rootHash, extensions };
}

/** Signs a checkpoint as a note; the operator's key name should equal the origin. */
export function signCheckpoint(checkpoint: Checkpoint, signer: NoteSigner): string {
  return signNote(formatCheckpoint(checkpoint), [signer]);
}

export interface OpenedCheckpoint {
  checkpoint: Checkpoint;
  /** The checkpoint body exactly as signed. */
  text: string;
  note: OpenedNote;
}

/**
 * Opens a signed checkpoint: the note must carry a valid signature by one of `operatorVerifiers`
 * (other signatures, e.g. cosignatures, are ignored here; see witness.ts), and the body must be
 * a well-formed checkpoint, for `expectedOrigin` when given. Throws NoteError or CheckpointError.
 */
export function openCheckpoint(noteText: string | Uint8Array, operatorVerifiers: NoteVerifier[], expectedOrigin?: string): OpenedCheckpoint {
  const note = openNote(noteText, operatorVerifiers);
  const checkpoint = parseCheckpoint(note.text);
  if (expectedOrigin !== undefined && checkpoint.origin !== expectedOrigin) {
    throw new CheckpointError('CHECKPOINT_WRONG_ORIGIN', `checkpoint origin ${JSON.stringify(checkpoint.origin)} is not the expected ${JSON.stringify(expectedOrigin)}`);
  }
  return { checkpoint, text: note.text, note };
}

/** Parses a signed checkpoint note without checking signatures (to display or route it). */
export function peekCheckpoint(noteText: string | Uint8Array): { checkpoint: Checkpoint; text: string } {
  const note = parseNote(noteText);
  return { checkpoint: parseCheckpoint(note.text), text: note.text };
}

export { NoteError };
