/**
 * Witness cosignatures, C2SP tlog-cosignature (Ed25519, cosignature/v1): a witness checks that a
 * log's new checkpoint extends the last one it cosigned (RFC 9162 consistency proof) and adds a
 * signature line `— <witness name> base64(keyID || u64 timestamp || Ed25519 sig)` over
 * "cosignature/v1\ntime <unix>\n" || checkpoint body. Key ID type byte 0x04.
 * Browser-safe; state persistence is injected.
 */
import type { CryptoBackend } from './hash.ts';
import { concatBytes, readUint64BE, uint64BE, utf8 } from './bytes.ts';
import {
  NoteError,
  SIGNATURE_TYPE_COSIGNATURE_V1,
  addSignatures,
  computeKeyId,
  formatSignatureLine,
  formatVerifierKey,
  isValidKeyName,
  keyIdHex,
  noteVerifierFromKey,
  parseNote,
  parseVerifierKey,
  type NoteSigner,
  type NoteVerifier,
} from './note.ts';
import { CheckpointError, openCheckpoint, parseCheckpoint, type Checkpoint } from './checkpoint.ts';
import { emptyRoot, verifyConsistency } from './merkle.ts';

export type WitnessErrorCode =
  | 'WITNESS_MALFORMED_CHECKPOINT'
  | 'WITNESS_UNKNOWN_LOG'
  | 'WITNESS_BAD_SIGNATURE'
  | 'WITNESS_OLD_SIZE_MISMATCH'
  | 'WITNESS_ROLLBACK'
  | 'WITNESS_INCONSISTENT'
  | 'WITNESS_BAD_KEY'
  | 'WITNESS_BAD_TIMESTAMP';

export class WitnessError extends Error {
  constructor(
    readonly code: WitnessErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'WitnessError';
  }
}

const COSIGNATURE_HEADER = 'cosignature/v1\n';
/** Timestamps must not exceed 2^63 - 1 by the spec; JS numbers stop being exact at 2^53. */
const MAX_TIMESTAMP = Number.MAX_SAFE_INTEGER;

/** The message a cosigner signs: "cosignature/v1\ntime <unix seconds>\n" || checkpoint body. */
export function cosignatureMessage(checkpointBody: string | Uint8Array, timestamp: number): Uint8Array {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new WitnessError('WITNESS_BAD_TIMESTAMP', `timestamp ${timestamp} is not a non-negative integer`);
  const body = typeof checkpointBody === 'string' ? utf8(checkpointBody) : checkpointBody;
  return concatBytes(utf8(`${COSIGNATURE_HEADER}time ${timestamp}\n`), body);
}

export function cosignatureKeyId(backend: CryptoBackend, name: string, publicKey: Uint8Array): number {
  return computeKeyId(backend.sha256, name, SIGNATURE_TYPE_COSIGNATURE_V1, publicKey);
}

/** A note verifier for one witness's cosignatures (72 bytes: timestamp || Ed25519 signature). */
export function cosignatureVerifier(backend: CryptoBackend, name: string, publicKey: Uint8Array): NoteVerifier & { timestampOf(signature: Uint8Array): number | undefined } {
  if (!isValidKeyName(name)) throw new WitnessError('WITNESS_BAD_KEY', `witness name ${JSON.stringify(name)} is empty or has a space or "+"`);
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) throw new WitnessError('WITNESS_BAD_KEY', 'a witness public key is 32 bytes');
  const key = new Uint8Array(publicKey);
  const timestampOf = (signature: Uint8Array) => (signature.length === 72 ? readUint64BE(signature, 0) : undefined);
  return {
    name,
    keyId: cosignatureKeyId(backend, name, key),
    type: SIGNATURE_TYPE_COSIGNATURE_V1,
    publicKey: key,
    timestampOf,
    verify(text, signature) {
      const timestamp = timestampOf(signature);
      if (timestamp === undefined || timestamp > MAX_TIMESTAMP) return false;
      return backend.ed25519.verify(key, cosignatureMessage(text, timestamp), signature.subarray(8));
    },
  };
}

/** A cosigning note signer; `now` gives Unix seconds (injected for tests). */
export function cosignatureSigner(backend: CryptoBackend, name: string, secretKey: Uint8Array, now: () => number = () => Math.floor(Date.now() / 1000)): NoteSigner & { publicKey: Uint8Array; vkey: string } {
  if (!isValidKeyName(name)) throw new WitnessError('WITNESS_BAD_KEY', `witness name ${JSON.stringify(name)} is empty or has a space or "+"`);
  const publicKey = backend.ed25519.publicKey(secretKey);
  const secret = new Uint8Array(secretKey);
  return {
    name,
    keyId: cosignatureKeyId(backend, name, publicKey),
    publicKey,
    vkey: formatWitnessKey(backend, name, publicKey),
    sign(text) {
      const timestamp = now();
      return concatBytes(uint64BE(timestamp), backend.ed25519.sign(secret, cosignatureMessage(text, timestamp)));
    },
  };
}

/** A witness's vkey: `<name>+<key ID>+<base64(0x04 || public key)>`. */
export function formatWitnessKey(backend: CryptoBackend, name: string, publicKey: Uint8Array): string {
  return formatVerifierKey(backend.sha256, name, SIGNATURE_TYPE_COSIGNATURE_V1, publicKey);
}

/** Parses a witness vkey (type 0x04) into a cosignature verifier. */
export function parseWitnessKey(backend: CryptoBackend, vkey: string): ReturnType<typeof cosignatureVerifier> {
  const parsed = parseVerifierKey(backend.sha256, vkey);
  if (parsed.type !== SIGNATURE_TYPE_COSIGNATURE_V1) {
    throw new NoteError('NOTE_UNKNOWN_KEY_TYPE', `witness key ${parsed.name} has type 0x${parsed.type.toString(16).padStart(2, '0')}, expected 0x04 (cosignature/v1)`);
  }
  return cosignatureVerifier(backend, parsed.name, parsed.publicKey);
}

export interface CosignatureReport {
  /** Valid cosignatures by witnesses in the given set, one per witness. */
  valid: Array<{ name: string; keyId: number; timestamp: number }>;
  /** Cosignatures by witnesses in the set that do not verify. */
  invalid: Array<{ name: string; keyId: number }>;
  /** Signatures by keys outside the set (the operator's own, unknown witnesses). */
  ignored: number;
  quorum: number;
  quorumMet: boolean;
}

/**
 * Counts valid cosignatures on a checkpoint note against a witness key set. Signatures by keys
 * outside the set are ignored; a bad one by a key in the set is reported as invalid.
 */
export function verifyCosignatures(noteText: string | Uint8Array, witnesses: NoteVerifier[], quorum: number): CosignatureReport {
  const note = parseNote(noteText);
  const text = utf8(note.text);
  const valid: CosignatureReport['valid'] = [];
  const invalid: CosignatureReport['invalid'] = [];
  let ignored = 0;
  const counted = new Set<string>();
  for (const sig of note.signatures) {
    const witness = witnesses.find((w) => w.name === sig.name && w.keyId === sig.keyId && w.type === SIGNATURE_TYPE_COSIGNATURE_V1);
    if (!witness) {
      ignored++;
      continue;
    }
    const id = `${sig.name}+${keyIdHex(sig.keyId)}`;
    if (!witness.verify(text, sig.signature)) {
      invalid.push({ name: sig.name, keyId: sig.keyId });
      continue;
    }
    if (counted.has(id)) continue;
    counted.add(id);
    valid.push({ name: sig.name, keyId: sig.keyId, timestamp: readUint64BE(sig.signature, 0)! });
  }
  return { valid, invalid, ignored, quorum, quorumMet: valid.length >= quorum };
}

// ---- the witness --------------------------------------------------------------------------------

export interface WitnessLogState {
  size: number;
  rootHash: Uint8Array;
}

/**
 * Where a witness remembers, per log origin, the last checkpoint it cosigned. `set` must be
 * durable before it resolves: the witness persists first and signs after, so a crash can never
 * leave a cosignature the witness has forgotten (and could contradict).
 */
export interface WitnessStateStore {
  get(origin: string): WitnessLogState | undefined | Promise<WitnessLogState | undefined>;
  set(origin: string, state: WitnessLogState): void | Promise<void>;
}

export class MemoryWitnessStore implements WitnessStateStore {
  readonly states = new Map<string, WitnessLogState>();
  get(origin: string): WitnessLogState | undefined {
    const s = this.states.get(origin);
    return s && { size: s.size, rootHash: new Uint8Array(s.rootHash) };
  }
  set(origin: string, state: WitnessLogState): void {
    this.states.set(origin, { size: state.size, rootHash: new Uint8Array(state.rootHash) });
  }
}

export interface WitnessOptions {
  name: string;
  secretKey: Uint8Array;
  backend: CryptoBackend;
  /** The logs this witness follows: origin and the operator's note verifier key(s) (vkey strings). */
  logs: Array<{ origin: string; operatorKeys: string[] }>;
  store: WitnessStateStore;
  now?: () => number;
}

export interface CosignRequest {
  /** The operator-signed checkpoint note (may already carry other cosignatures). */
  checkpoint: string;
  /** RFC 9162 consistency proof from the size this witness last cosigned to the new size. */
  proof: Uint8Array[];
  /** The size the log believes the witness last cosigned; refused when it differs (tlog-witness "old size"). */
  oldSize?: number;
}

export interface CosignResult {
  checkpoint: Checkpoint;
  /** The signature line, `— <name> <base64>`, without a newline. */
  line: string;
  timestamp: number;
  /** The checkpoint note with this cosignature appended. */
  note: string;
}

export class Witness {
  readonly name: string;
  readonly publicKey: Uint8Array;
  readonly vkey: string;
  private readonly signer: ReturnType<typeof cosignatureSigner>;
  private readonly logs = new Map<string, NoteVerifier[]>();
  private readonly backend: CryptoBackend;
  private readonly store: WitnessStateStore;
  /** Serialises cosign calls so two requests cannot both pass the check against the same old state. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: WitnessOptions) {
    this.backend = options.backend;
    this.store = options.store;
    let lastTimestamp = 0;
    const now = options.now ?? (() => Math.floor(Date.now() / 1000));
    // Timestamps never go backwards, even if the clock does.
    this.signer = cosignatureSigner(options.backend, options.name, options.secretKey, () => (lastTimestamp = Math.max(lastTimestamp, now())));
    this.name = options.name;
    this.publicKey = this.signer.publicKey;
    this.vkey = this.signer.vkey;
    for (const log of options.logs) {
      try {
        this.logs.set(log.origin, log.operatorKeys.map((k) => noteVerifierFromKey(options.backend, k)));
      } catch (err) {
        throw new WitnessError('WITNESS_BAD_KEY', `operator key for ${log.origin}: ${(err as Error).message}`);
      }
    }
  }

  /** Checks the checkpoint against what this witness last cosigned and cosigns it. */
  cosign(request: CosignRequest): Promise<CosignResult> {
    const run = this.queue.then(() => this.cosignNow(request));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async cosignNow(request: CosignRequest): Promise<CosignResult> {
    let parsed: { origin: string };
    try {
      parsed = parseCheckpoint(parseNote(request.checkpoint).text);
    } catch (err) {
      throw new WitnessError('WITNESS_MALFORMED_CHECKPOINT', `checkpoint: ${(err as Error).message}`, { cause: (err as NoteError | CheckpointError).code });
    }
    const verifiers = this.logs.get(parsed.origin);
    if (!verifiers) throw new WitnessError('WITNESS_UNKNOWN_LOG', `this witness does not follow the log ${JSON.stringify(parsed.origin)}`, { origin: parsed.origin });
    let checkpoint: Checkpoint;
    try {
      checkpoint = openCheckpoint(request.checkpoint, verifiers, parsed.origin).checkpoint;
    } catch (err) {
      throw new WitnessError('WITNESS_BAD_SIGNATURE', `checkpoint is not validly signed by the operator of ${parsed.origin}: ${(err as Error).message}`, {
        origin: parsed.origin,
        cause: (err as NoteError).code,
      });
    }
    const origin = checkpoint.origin;
    const last = (await this.store.get(origin)) ?? { size: 0, rootHash: emptyRoot(this.backend.sha256) };
    if (request.oldSize !== undefined && request.oldSize !== last.size) {
      throw new WitnessError('WITNESS_OLD_SIZE_MISMATCH', `the witness last cosigned size ${last.size} of ${origin}, not ${request.oldSize}`, { origin, witnessSize: last.size });
    }
    if (checkpoint.size < last.size) {
      throw new WitnessError('WITNESS_ROLLBACK', `checkpoint size ${checkpoint.size} is smaller than the ${last.size} already cosigned for ${origin}`, { origin, witnessSize: last.size, size: checkpoint.size });
    }
    const consistent = verifyConsistency(this.backend.sha256, last.size, checkpoint.size, last.rootHash, checkpoint.rootHash, request.proof);
    if (!consistent) {
      throw new WitnessError('WITNESS_INCONSISTENT', `checkpoint at size ${checkpoint.size} does not extend the cosigned size ${last.size} of ${origin} (consistency proof fails)`, {
        origin,
        witnessSize: last.size,
        size: checkpoint.size,
      });
    }
    if (checkpoint.size > last.size) await this.store.set(origin, { size: checkpoint.size, rootHash: checkpoint.rootHash });
    const note = addSignatures(request.checkpoint, [this.signer]);
    const mine = parseNote(note).signatures.find((s) => s.name === this.signer.name && s.keyId === this.signer.keyId)!;
    return { checkpoint, line: formatSignatureLine(mine), timestamp: readUint64BE(mine.signature, 0)!, note };
  }
}
