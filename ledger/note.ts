/**
 * C2SP signed-note (c2sp.org/signed-note): text, a blank line, then signature lines
 * `— <key name> <base64(4-byte key ID || signature)>`. Ed25519 note keys (type 0x01) and the
 * Go sumdb/note verifier-key form `<name>+<hex key ID>+<base64(type || public key)>`.
 * Other signature types (witness cosignatures, type 0x04) plug in through NoteVerifier.
 * Browser-safe.
 */
import type { CryptoBackend, Sha256 } from './hash.ts';
import { BytesError, concatBytes, fromBase64, fromUtf8, toBase64, utf8 } from './bytes.ts';

export type NoteErrorCode =
  | 'NOTE_NOT_UTF8'
  | 'NOTE_CONTROL_CHARACTER'
  | 'NOTE_TOO_LARGE'
  | 'NOTE_NO_SIGNATURES'
  | 'NOTE_TEXT_NOT_TERMINATED'
  | 'NOTE_BAD_SIGNATURE_LINE'
  | 'NOTE_BAD_KEY_NAME'
  | 'NOTE_BAD_SIGNATURE_ENCODING'
  | 'NOTE_TOO_MANY_SIGNATURES'
  | 'NOTE_BAD_VERIFIER_KEY'
  | 'NOTE_BAD_SIGNER_KEY'
  | 'NOTE_UNKNOWN_KEY_TYPE'
  | 'NOTE_KEY_ID_MISMATCH'
  | 'NOTE_AMBIGUOUS_KEY'
  | 'NOTE_INVALID_SIGNATURE'
  | 'NOTE_UNVERIFIED';

export class NoteError extends Error {
  constructor(
    readonly code: NoteErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'NoteError';
  }
}

/** Signature type bytes (c2sp.org/signed-note "Signature types"). */
export const SIGNATURE_TYPE_ED25519 = 0x01;
export const SIGNATURE_TYPE_COSIGNATURE_V1 = 0x04;

/** The spec asks verifiers to accept at least 16; Go's sumdb/note stops at 100. */
export const MAX_SIGNATURES = 100;
/** Notes here are checkpoints: a few hundred bytes plus signatures. */
export const MAX_NOTE_BYTES = 1 << 20;

export interface NoteSignature {
  name: string;
  /** uint32, the first 4 bytes of the decoded signature, big-endian. */
  keyId: number;
  /** The bytes after the key ID (64 for Ed25519, 72 for a timestamped cosignature). */
  signature: Uint8Array;
}

export interface Note {
  /** The signed text, ending in a newline. */
  text: string;
  signatures: NoteSignature[];
}

/** Checks one signature of a given name and key ID over the note text. */
export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  readonly type: number;
  readonly publicKey: Uint8Array;
  verify(text: Uint8Array, signature: Uint8Array): boolean;
}

export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  sign(text: Uint8Array): Uint8Array;
}

const EM_DASH_PREFIX = '\u2014 ';
const SPACE_OR_PLUS = /[\s\u0085+]/u;

export function isValidKeyName(name: string): boolean {
  return typeof name === 'string' && name.length > 0 && !SPACE_OR_PLUS.test(name) && !hasControl(name);
}

function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20) return true;
  }
  return false;
}

function controlPosition(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 && c !== 0x0a) return i;
  }
  return -1;
}

/** key ID = SHA-256(name || 0x0A || type || key material)[:4], as a big-endian uint32. */
export function computeKeyId(sha256: Sha256, name: string, type: number, publicKey: Uint8Array): number {
  const digest = sha256(concatBytes(utf8(name), Uint8Array.of(0x0a, type), publicKey));
  return ((digest[0] << 24) | (digest[1] << 16) | (digest[2] << 8) | digest[3]) >>> 0;
}

export function keyIdHex(keyId: number): string {
  return keyId.toString(16).padStart(8, '0');
}

function keyIdBytes(keyId: number): Uint8Array {
  return Uint8Array.of(keyId >>> 24, (keyId >>> 16) & 255, (keyId >>> 8) & 255, keyId & 255);
}

function checkText(text: string, what: string): void {
  const at = controlPosition(text);
  if (at >= 0) throw new NoteError('NOTE_CONTROL_CHARACTER', `${what} has control character U+${text.charCodeAt(at).toString(16).padStart(4, '0')} at offset ${at}`, { offset: at });
}

/**
 * Parses a signed note's syntax (no signature is checked). The text is everything up to and
 * including the newline before the last blank line; every line after it must be a signature.
 */
export function parseNote(input: string | Uint8Array): Note {
  let message: string;
  if (typeof input === 'string') {
    message = input;
  } else {
    if (input.length > MAX_NOTE_BYTES) throw new NoteError('NOTE_TOO_LARGE', `note is ${input.length} bytes, over ${MAX_NOTE_BYTES}`);
    try {
      message = fromUtf8(input);
    } catch {
      throw new NoteError('NOTE_NOT_UTF8', 'note is not valid UTF-8');
    }
  }
  if (message.length > MAX_NOTE_BYTES) throw new NoteError('NOTE_TOO_LARGE', `note is over ${MAX_NOTE_BYTES} characters`);
  checkText(message, 'note');
  for (let i = 0; i < message.length; i++) {
    const c = message.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      const pair = c <= 0xdbff && i + 1 < message.length && message.charCodeAt(i + 1) >= 0xdc00 && message.charCodeAt(i + 1) <= 0xdfff;
      if (!pair) throw new NoteError('NOTE_NOT_UTF8', `note has a lone surrogate at offset ${i}`);
      i++;
    }
  }
  const split = message.lastIndexOf('\n\n');
  if (split < 0) throw new NoteError('NOTE_NO_SIGNATURES', 'note has no blank line before a signature block');
  const text = message.slice(0, split + 1);
  const block = message.slice(split + 2);
  if (block.length === 0) throw new NoteError('NOTE_NO_SIGNATURES', 'note has no signature lines after the blank line');
  if (!block.endsWith('\n')) throw new NoteError('NOTE_BAD_SIGNATURE_LINE', 'last signature line does not end in a newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw new NoteError('NOTE_TOO_MANY_SIGNATURES', `note has ${lines.length} signatures, over ${MAX_SIGNATURES}`);
  const signatures = lines.map((line, i) => parseSignatureLine(line, i));
  return { text, signatures };
}

function parseSignatureLine(line: string, lineIndex: number): NoteSignature {
  const details = { line: lineIndex };
  if (!line.startsWith(EM_DASH_PREFIX)) {
    throw new NoteError('NOTE_BAD_SIGNATURE_LINE', `signature line ${lineIndex + 1} does not start with "— " (U+2014, space)`, details);
  }
  const rest = line.slice(EM_DASH_PREFIX.length);
  const space = rest.indexOf(' ');
  if (space < 0) throw new NoteError('NOTE_BAD_SIGNATURE_LINE', `signature line ${lineIndex + 1} has no space between key name and signature`, details);
  const name = rest.slice(0, space);
  const encoded = rest.slice(space + 1);
  if (!isValidKeyName(name)) throw new NoteError('NOTE_BAD_KEY_NAME', `signature line ${lineIndex + 1}: key name ${JSON.stringify(name)} is empty or has a space or "+"`, details);
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(encoded);
  } catch (err) {
    throw new NoteError('NOTE_BAD_SIGNATURE_ENCODING', `signature line ${lineIndex + 1}: ${(err as BytesError).message}`, details);
  }
  if (bytes.length < 5) throw new NoteError('NOTE_BAD_SIGNATURE_ENCODING', `signature line ${lineIndex + 1}: ${bytes.length} bytes, need a 4-byte key ID and a signature`, details);
  const keyId = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
  return { name, keyId, signature: bytes.subarray(4) };
}

/** One signature line, without the trailing newline. */
export function formatSignatureLine(signature: NoteSignature): string {
  return `${EM_DASH_PREFIX}${signature.name} ${toBase64(concatBytes(keyIdBytes(signature.keyId), signature.signature))}`;
}

function checkNoteText(text: string): void {
  if (typeof text !== 'string' || !text.endsWith('\n')) throw new NoteError('NOTE_TEXT_NOT_TERMINATED', 'note text must end with a newline');
  checkText(text, 'note text');
}

export function formatNote(note: Note): string {
  checkNoteText(note.text);
  if (note.signatures.length === 0) throw new NoteError('NOTE_NO_SIGNATURES', 'a signed note needs at least one signature');
  if (note.signatures.length > MAX_SIGNATURES) throw new NoteError('NOTE_TOO_MANY_SIGNATURES', `over ${MAX_SIGNATURES} signatures`);
  for (const s of note.signatures) {
    if (!isValidKeyName(s.name)) throw new NoteError('NOTE_BAD_KEY_NAME', `key name ${JSON.stringify(s.name)} is empty or has a space or "+"`);
  }
  return `${note.text}\n${note.signatures.map((s) => formatSignatureLine(s) + '\n').join('')}`;
}

/**
 * Signs `text` with each signer and returns the note. Existing signatures (e.g. from a note being
 * re-signed or cosigned) are kept, except those a new signer replaces (same name and key ID).
 */
export function signNote(text: string, signers: NoteSigner[], existing: NoteSignature[] = []): string {
  checkNoteText(text);
  const textBytes = utf8(text);
  const fresh = signers.map((s) => {
    if (!isValidKeyName(s.name)) throw new NoteError('NOTE_BAD_KEY_NAME', `signer name ${JSON.stringify(s.name)} is empty or has a space or "+"`);
    return { name: s.name, keyId: s.keyId, signature: s.sign(textBytes) };
  });
  const kept = existing.filter((e) => !fresh.some((f) => f.name === e.name && f.keyId === e.keyId));
  return formatNote({ text, signatures: [...kept, ...fresh] });
}

/** Adds signatures to an already signed note (e.g. a witness's cosignature), keeping its own. */
export function addSignatures(noteText: string | Uint8Array, signers: NoteSigner[]): string {
  const note = parseNote(noteText);
  return signNote(note.text, signers, note.signatures);
}

export interface OpenedNote {
  text: string;
  /** Signatures by known keys that verified, in note order, one per key. */
  verified: Array<NoteSignature & { verifier: NoteVerifier }>;
  /** Signatures by keys the caller does not know: ignored, as the spec requires. */
  unverified: NoteSignature[];
}

/**
 * Parses a note and checks every signature made by a known key (same name and key ID).
 * Unknown keys are ignored; a known key's bad signature fails the whole note
 * (NOTE_INVALID_SIGNATURE); no verified signature at all fails too (NOTE_UNVERIFIED).
 */
export function openNote(input: string | Uint8Array, verifiers: NoteVerifier[]): OpenedNote {
  const note = parseNote(input);
  const textBytes = utf8(note.text);
  const verified: OpenedNote['verified'] = [];
  const unverified: NoteSignature[] = [];
  const seen = new Set<string>();
  for (const sig of note.signatures) {
    const matches = verifiers.filter((v) => v.name === sig.name && v.keyId === sig.keyId);
    const id = `${sig.name}+${keyIdHex(sig.keyId)}`;
    if (matches.length > 1) throw new NoteError('NOTE_AMBIGUOUS_KEY', `more than one verifier for key ${id}`, { key: id });
    if (matches.length === 0) {
      unverified.push(sig);
      continue;
    }
    if (!matches[0].verify(textBytes, sig.signature)) throw new NoteError('NOTE_INVALID_SIGNATURE', `invalid signature for key ${id}`, { key: id });
    if (seen.has(id)) continue;
    seen.add(id);
    verified.push({ ...sig, verifier: matches[0] });
  }
  if (verified.length === 0) throw new NoteError('NOTE_UNVERIFIED', 'note has no signature by a known key', { keys: note.signatures.map((s) => `${s.name}+${keyIdHex(s.keyId)}`) });
  return { text: note.text, verified, unverified };
}

// ---- keys -------------------------------------------------------------------------------------

export interface ParsedVerifierKey {
  name: string;
  keyId: number;
  type: number;
  publicKey: Uint8Array;
}

/** `<name>+<8 hex key ID>+<base64(type || public key)>`, the Go sumdb/note vkey form. */
export function formatVerifierKey(sha256: Sha256, name: string, type: number, publicKey: Uint8Array): string {
  if (!isValidKeyName(name)) throw new NoteError('NOTE_BAD_KEY_NAME', `key name ${JSON.stringify(name)} is empty or has a space or "+"`);
  return `${name}+${keyIdHex(computeKeyId(sha256, name, type, publicKey))}+${toBase64(concatBytes(Uint8Array.of(type), publicKey))}`;
}

const HEX8 = /^[0-9a-f]{8}$/;

/** `<name>+<id>+<base64>`: the name and ID hold no '+', the base64 may. */
function splitKey(text: string): [string, string, string] | undefined {
  const first = text.indexOf('+');
  if (first < 0) return undefined;
  const second = text.indexOf('+', first + 1);
  if (second < 0) return undefined;
  return [text.slice(0, first), text.slice(first + 1, second), text.slice(second + 1)];
}

/** Parses a vkey and checks its key ID against its name and key. Any type byte; 32-byte keys for Ed25519 types. */
export function parseVerifierKey(sha256: Sha256, vkey: string): ParsedVerifierKey {
  const bad = (why: string): never => {
    throw new NoteError('NOTE_BAD_VERIFIER_KEY', `verifier key ${JSON.stringify(vkey)}: ${why}`);
  };
  if (typeof vkey !== 'string') bad('not a string');
  const parts = splitKey(vkey);
  if (!parts) return bad('expected <name>+<key ID>+<key>');
  const [name, idHex, encoded] = parts;
  if (!isValidKeyName(name)) bad('key name is empty or has a space');
  if (!HEX8.test(idHex)) bad('key ID is not 8 lowercase hex digits');
  let material: Uint8Array;
  try {
    material = fromBase64(encoded);
  } catch {
    return bad('key is not canonical base64');
  }
  if (material.length < 2) bad('key is empty');
  const type = material[0];
  const publicKey = material.subarray(1);
  if ((type === SIGNATURE_TYPE_ED25519 || type === SIGNATURE_TYPE_COSIGNATURE_V1) && publicKey.length !== 32) bad(`an Ed25519 key is 32 bytes, got ${publicKey.length}`);
  const keyId = parseInt(idHex, 16) >>> 0;
  if (computeKeyId(sha256, name, type, publicKey) !== keyId) {
    throw new NoteError('NOTE_KEY_ID_MISMATCH', `verifier key ${JSON.stringify(vkey)}: key ID ${idHex} does not match the name and key`);
  }
  return { name, keyId, type, publicKey: new Uint8Array(publicKey) };
}

/** A verifier for Ed25519 note signatures (type 0x01) by `name`. */
export function ed25519NoteVerifier(backend: CryptoBackend, name: string, publicKey: Uint8Array): NoteVerifier {
  if (!isValidKeyName(name)) throw new NoteError('NOTE_BAD_KEY_NAME', `key name ${JSON.stringify(name)} is empty or has a space or "+"`);
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) throw new NoteError('NOTE_BAD_VERIFIER_KEY', 'an Ed25519 public key is 32 bytes');
  const key = new Uint8Array(publicKey);
  return {
    name,
    keyId: computeKeyId(backend.sha256, name, SIGNATURE_TYPE_ED25519, key),
    type: SIGNATURE_TYPE_ED25519,
    publicKey: key,
    verify: (text, signature) => signature.length === 64 && backend.ed25519.verify(key, text, signature),
  };
}

/** Parses an Ed25519 note vkey (type 0x01) into a verifier; other types are NOTE_UNKNOWN_KEY_TYPE. */
export function noteVerifierFromKey(backend: CryptoBackend, vkey: string): NoteVerifier {
  const parsed = parseVerifierKey(backend.sha256, vkey);
  if (parsed.type !== SIGNATURE_TYPE_ED25519) {
    throw new NoteError('NOTE_UNKNOWN_KEY_TYPE', `verifier key for ${parsed.name} has type 0x${parsed.type.toString(16).padStart(2, '0')}, expected 0x01 (Ed25519)`);
  }
  return ed25519NoteVerifier(backend, parsed.name, parsed.publicKey);
}

/** A signer of Ed25519 note signatures (type 0x01) from a 32-byte seed. */
export function ed25519NoteSigner(backend: CryptoBackend, name: string, secretKey: Uint8Array): NoteSigner & { publicKey: Uint8Array; vkey: string } {
  if (!isValidKeyName(name)) throw new NoteError('NOTE_BAD_KEY_NAME', `key name ${JSON.stringify(name)} is empty or has a space or "+"`);
  const publicKey = backend.ed25519.publicKey(secretKey);
  const secret = new Uint8Array(secretKey);
  return {
    name,
    keyId: computeKeyId(backend.sha256, name, SIGNATURE_TYPE_ED25519, publicKey),
    publicKey,
    vkey: formatVerifierKey(backend.sha256, name, SIGNATURE_TYPE_ED25519, publicKey),
    sign: (text) => backend.ed25519.sign(secret, text),
  };
}

const SIGNER_KEY_PREFIX = 'PRIVATE+KEY+';

/** `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || seed)>`, the Go sumdb/note signer-key form. */
export function formatSignerKey(backend: CryptoBackend, name: string, secretKey: Uint8Array): string {
  const { keyId } = ed25519NoteSigner(backend, name, secretKey);
  return `${SIGNER_KEY_PREFIX}${name}+${keyIdHex(keyId)}+${toBase64(concatBytes(Uint8Array.of(SIGNATURE_TYPE_ED25519), secretKey))}`;
}

/** Parses a signer key; refuses a key ID that does not match the name and derived public key. */
export function parseSignerKey(backend: CryptoBackend, skey: string): NoteSigner & { publicKey: Uint8Array; vkey: string; secretKey: Uint8Array } {
  const bad = (why: string): never => {
    throw new NoteError('NOTE_BAD_SIGNER_KEY', `signer key: ${why}`);
  };
  if (typeof skey !== 'string' || !skey.startsWith(SIGNER_KEY_PREFIX)) bad('does not start with PRIVATE+KEY+');
  const parts = splitKey(skey.slice(SIGNER_KEY_PREFIX.length));
  if (!parts) return bad('expected PRIVATE+KEY+<name>+<key ID>+<key>');
  const [name, idHex, encoded] = parts;
  if (!isValidKeyName(name)) bad('key name is empty or has a space');
  if (!HEX8.test(idHex)) bad('key ID is not 8 lowercase hex digits');
  let material: Uint8Array;
  try {
    material = fromBase64(encoded);
  } catch {
    return bad('key is not canonical base64');
  }
  if (material.length !== 33 || material[0] !== SIGNATURE_TYPE_ED25519) bad('expected 0x01 followed by a 32-byte Ed25519 seed');
  const secretKey = new Uint8Array(material.subarray(1));
  const signer = ed25519NoteSigner(backend, name, secretKey);
  if (keyIdHex(signer.keyId) !== idHex) throw new NoteError('NOTE_KEY_ID_MISMATCH', `signer key: key ID ${idHex} does not match the name and key`);
  return { ...signer, secretKey };
}
