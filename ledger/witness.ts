/**
 * Witness cosignatures, C2SP tlog-cosignature (Ed25519, cosignature/v1): a witness checks that a
 * log's new checkpoint extends the last one it cosigned (RFC 9162 consistency proof) and adds a
 * signature line `— <witness name> base64(keyID || u64 timestamp || Ed25519 sig)` over
 * "cosignature/v1\ntime <unix>\n" || checkpoint body. Key ID type byte 0x04.
 * Browser-safe; state persistence is injected.
 */
import type { CryptoBackend } from './hash.ts';
import { concatBytes, fromBase64, readUint64BE, toBase64, uint64BE, utf8 } from './bytes.ts';
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
import { HASH_SIZE, emptyRoot, verifyConsistency } from './merkle.ts';

export type WitnessErrorCode =
  | 'WITNESS_MALFORMED_CHECKPOINT'
  | 'WITNESS_UNKNOWN_LOG'
  | 'WITNESS_BAD_SIGNATURE'
  | 'WITNESS_BAD_REQUEST'
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

// ---- tlog-witness add-checkpoint bodies (c2sp.org/tlog-witness) -------------------------------

/** At most 63 proof lines: enough for any tree of 2^63 leaves. */
export const MAX_PROOF_LINES = 63;
const OLD_LINE = /^old (0|[1-9][0-9]*)$/;

/** `old <size>\n` + one base64 proof hash per line + `\n` + the checkpoint note. */
export function formatAddCheckpointRequest(request: { oldSize: number; proof: Uint8Array[]; checkpoint: string }): string {
  return `old ${request.oldSize}\n${request.proof.map((p) => toBase64(p) + '\n').join('')}\n${request.checkpoint}`;
}

/** Parses an add-checkpoint request body; WITNESS_BAD_REQUEST names what is wrong. */
export function parseAddCheckpointRequest(body: string): Required<CosignRequest> {
  const bad = (why: string): never => {
    throw new WitnessError('WITNESS_BAD_REQUEST', `add-checkpoint request: ${why}`);
  };
  const blank = body.indexOf('\n\n');
  if (blank < 0) bad('no empty line before the checkpoint');
  const head = body.slice(0, blank).split('\n');
  const checkpoint = body.slice(blank + 2);
  const old = OLD_LINE.exec(head[0]);
  if (!old) bad('first line must be "old <size>" in decimal without leading zeros');
  const oldSize = Number(old![1]);
  if (!Number.isSafeInteger(oldSize)) bad('old size is larger than 2^53 - 1');
  const lines = head.slice(1);
  if (lines.length > MAX_PROOF_LINES) bad(`${lines.length} proof lines, at most ${MAX_PROOF_LINES}`);
  const proof = lines.map((line, i) => {
    let hash: Uint8Array;
    try {
      hash = fromBase64(line);
    } catch {
      return bad(`proof line ${i + 1} is not canonical base64`);
    }
    if (hash.length !== HASH_SIZE) bad(`proof line ${i + 1} is ${hash.length} bytes, expected ${HASH_SIZE}`);
    return hash;
  });
  if (oldSize === 0 && proof.length > 0) bad('the proof must be empty when the old size is 0');
  return { oldSize, proof, checkpoint };
}

/** The HTTP status tlog-witness prescribes for each refusal. */
export function witnessHttpStatus(error: WitnessError): number {
  switch (error.code) {
    case 'WITNESS_UNKNOWN_LOG':
      return 404;
    case 'WITNESS_BAD_SIGNATURE':
      return 403;
    case 'WITNESS_OLD_SIZE_MISMATCH':
      return 409;
    case 'WITNESS_INCONSISTENT':
      return error.details.sameSize ? 409 : 422;
    case 'WITNESS_ROLLBACK':
      return 409;
    default:
      return 400;
  }
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

  /**
   * tlog-witness add-checkpoint: parses the request body, cosigns, and returns the response body
   * (the cosignature line and a newline). Refusals throw WitnessError; see witnessHttpStatus.
   */
  async addCheckpoint(body: string): Promise<string> {
    const result = await this.cosign(parseAddCheckpointRequest(body));
    return result.line + '\n';
  }

  /** The size this witness last cosigned for `origin` (0 if never): the body of a 409 answer. */
  async cosignedSize(origin: string): Promise<number> {
    return (await this.store.get(origin))?.size ?? 0;
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
    if (request.oldSize !== undefined && request.oldSize > checkpoint.size) {
      throw new WitnessError('WITNESS_BAD_REQUEST', `old size ${request.oldSize} is larger than the checkpoint size ${checkpoint.size}`, { origin });
    }
    const last = (await this.store.get(origin)) ?? { size: 0, rootHash: emptyRoot(this.backend.sha256) };
    if (request.oldSize !== undefined && request.oldSize !== last.size) {
      throw new WitnessError('WITNESS_OLD_SIZE_MISMATCH', `the witness last cosigned size ${last.size} of ${origin}, not ${request.oldSize}`, { origin, witnessSize: last.size });
    }
    if (checkpoint.size < last.size) {
      throw new WitnessError('WITNESS_ROLLBACK', `checkpoint size ${checkpoint.size} is smaller than the ${last.size} already cosigned for ${origin}`, { origin, witnessSize: last.size, size: checkpoint.size });
    }
    const consistent = verifyConsistency(this.backend.sha256, last.size, checkpoint.size, last.rootHash, checkpoint.rootHash, request.proof);
    if (!consistent) {
      const sameSize = checkpoint.size === last.size;
      throw new WitnessError(
        'WITNESS_INCONSISTENT',
        sameSize
          ? `checkpoint at size ${checkpoint.size} has a different root than the one cosigned at that size for ${origin}`
          : `checkpoint at size ${checkpoint.size} does not extend the cosigned size ${last.size} of ${origin} (consistency proof fails)`,
        { origin, witnessSize: last.size, size: checkpoint.size, sameSize },
      );
    }
    if (checkpoint.size > last.size) await this.store.set(origin, { size: checkpoint.size, rootHash: checkpoint.rootHash });
    const note = addSignatures(request.checkpoint, [this.signer]);
    const mine = parseNote(note).signatures.find((s) => s.name === this.signer.name && s.keyId === this.signer.keyId)!;
    return { checkpoint, line: formatSignatureLine(mine), timestamp: readUint64BE(mine.signature, 0)!, note };
  }
}
