/**
 * Keys registered in the ledger itself. The rules here are pure and shared: the store applies
 * them to its tables when appending (ledger/ledger.ts), and verifyLedger re-applies them in
 * memory while streaming the entries (ledger/verify.ts), so both agree on the key state at every
 * position. Browser-safe.
 *
 * Payloads of the key management kinds (all signed by an active operator key):
 *   party_registration  {party, ...anything else, opaque}
 *   key_registration    {party, keyId, publicKey}            (+ origin at position 0, the genesis)
 *   key_rotation        {party, keyId, newKeyId, newPublicKey}
 *   key_revocation      {party, keyId, reason?}
 * keyId = hex of the first 8 bytes of SHA-256(publicKey); publicKey is base64 of 32 bytes.
 */
import type { Sha256 } from './hash.ts';
import { equalBytes, fromBase64, toHex } from './bytes.ts';
import { isName, KEY_MANAGEMENT_KINDS, LedgerError, OPERATOR_PARTY, type EntryBody, type JsonObject } from './entry.ts';

export type KeyStatus = 'active' | 'rotated' | 'revoked';

export interface KeyRecord {
  party: string;
  keyId: string;
  publicKey: Uint8Array;
  status: KeyStatus;
  registeredAt: number;
  rotatedAt: number | null;
  revokedAt: number | null;
}

/** Read access to the key state as of the position being appended or checked. */
export interface KeyView {
  partyRegisteredAt(party: string): number | undefined;
  key(party: string, keyId: string): KeyRecord | undefined;
  isPublicKeyRegistered(publicKey: Uint8Array): boolean;
}

export type KeyChange =
  | { type: 'party'; party: string; registeredAt: number }
  | { type: 'key'; record: KeyRecord }
  | { type: 'rotated'; party: string; keyId: string; at: number }
  | { type: 'revoked'; party: string; keyId: string; at: number };

export function keyIdFor(h: Sha256, publicKey: Uint8Array): string {
  return toHex(h(publicKey).subarray(0, 8));
}

function malformed(message: string, details: Record<string, unknown>): never {
  throw new LedgerError('LEDGER_MALFORMED_ENTRY', message, details);
}

function fields(payload: JsonObject, required: string[], optional: string[], kind: string, position: number): void {
  for (const key of required) if (!(key in payload)) malformed(`${kind} payload: missing field "${key}"`, { position, field: `body.payload.${key}` });
  for (const key of Object.keys(payload)) {
    if (!required.includes(key) && !optional.includes(key)) malformed(`${kind} payload: unknown field "${key}"`, { position, field: `body.payload.${key}` });
  }
}

function nameField(payload: JsonObject, field: string, position: number): string {
  const value = payload[field];
  if (!isName(value)) malformed(`payload.${field}: ${JSON.stringify(value)} is not a valid name`, { position, field: `body.payload.${field}` });
  return value;
}

/** Decodes a base64 public key and checks the key id claimed for it. */
function publicKeyField(h: Sha256, payload: JsonObject, field: string, keyIdField: string, position: number): { publicKey: Uint8Array; keyId: string } {
  const text = payload[field];
  let publicKey: Uint8Array | undefined;
  try {
    publicKey = typeof text === 'string' ? fromBase64(text) : undefined;
  } catch {
    publicKey = undefined;
  }
  if (!publicKey || publicKey.length !== 32) malformed(`payload.${field}: not base64 of a 32-byte Ed25519 public key`, { position, field: `body.payload.${field}` });
  const keyId = nameField(payload, keyIdField, position);
  const expected = keyIdFor(h, publicKey);
  if (keyId !== expected) malformed(`payload.${keyIdField}: "${keyId}" is not the id of that key (expected "${expected}")`, { position, field: `body.payload.${keyIdField}` });
  return { publicKey, keyId };
}

/**
 * The key that may sign `body` at `position`, or a typed refusal: unknown key, rotated-out or
 * revoked key, or a non-operator signing a key management entry. Position 0 (the genesis) is
 * self-signed by the key it registers; use genesisKey for it.
 */
export function signerKey(view: KeyView, body: EntryBody, position: number): KeyRecord {
  const { party, keyId } = body.signer;
  const key = view.key(party, keyId);
  if (!key) throw new LedgerError('LEDGER_UNKNOWN_KEY', `key ${party}/${keyId} is not registered in this ledger`, { position, party, keyId });
  if (key.status === 'revoked') {
    throw new LedgerError('LEDGER_KEY_REVOKED', `key ${party}/${keyId} was revoked at position ${key.revokedAt}`, { position, party, keyId, revokedAt: key.revokedAt });
  }
  if (key.status === 'rotated') {
    throw new LedgerError('LEDGER_KEY_ROTATED', `key ${party}/${keyId} was rotated out at position ${key.rotatedAt}`, { position, party, keyId, rotatedAt: key.rotatedAt });
  }
  if (KEY_MANAGEMENT_KINDS.has(body.kind) && party !== OPERATOR_PARTY) {
    throw new LedgerError('LEDGER_NOT_AUTHORIZED', `${body.kind} entries must be signed by the operator, not ${party}`, { position, party, kind: body.kind });
  }
  return key;
}

/** Position 0: the operator's self-signed key registration, which also fixes the origin. */
export function genesisKey(h: Sha256, body: EntryBody): { record: KeyRecord; origin: string } {
  const bad = (why: string): never => {
    throw new LedgerError('LEDGER_BAD_GENESIS', `entry 0 must be the operator's self-signed key registration: ${why}`, { position: 0 });
  };
  if (body.kind !== 'key_registration') bad(`kind is ${body.kind}`);
  if (body.signer.party !== OPERATOR_PARTY) bad(`signer party is ${body.signer.party}`);
  fields(body.payload, ['party', 'keyId', 'publicKey', 'origin'], [], 'genesis', 0);
  if (body.payload.party !== OPERATOR_PARTY) bad(`payload party is ${JSON.stringify(body.payload.party)}`);
  const origin = body.payload.origin;
  if (typeof origin !== 'string' || origin.length === 0 || origin.length > 255 || /[\s+]/.test(origin)) bad('origin must be 1-255 characters without spaces or "+"');
  const { publicKey, keyId } = publicKeyField(h, body.payload, 'publicKey', 'keyId', 0);
  if (body.signer.keyId !== keyId) bad('it is not signed by the key it registers');
  if (body.itemsRoot !== undefined) bad('it has items');
  return {
    record: { party: OPERATOR_PARTY, keyId, publicKey, status: 'active', registeredAt: 0, rotatedAt: null, revokedAt: null },
    origin: origin as string,
  };
}

/** The state changes a key management entry makes at `position`, after checking its rules. */
export function keyChanges(h: Sha256, view: KeyView, body: EntryBody, position: number): KeyChange[] {
  if (!KEY_MANAGEMENT_KINDS.has(body.kind)) return [];
  if (body.itemsRoot !== undefined) malformed(`${body.kind} entries carry no items`, { position, field: 'body.itemsRoot' });
  const payload = body.payload;
  const party = nameField(payload, 'party', position);
  const requireParty = () => {
    if (view.partyRegisteredAt(party) === undefined) throw new LedgerError('LEDGER_UNKNOWN_PARTY', `party ${party} is not registered`, { position, party });
  };
  const newKey = (publicKey: Uint8Array, keyId: string): KeyRecord => {
    if (view.key(party, keyId)) throw new LedgerError('LEDGER_KEY_EXISTS', `key ${party}/${keyId} is already registered`, { position, party, keyId });
    if (view.isPublicKeyRegistered(publicKey)) throw new LedgerError('LEDGER_KEY_EXISTS', `public key ${keyId} is already registered`, { position, party, keyId });
    return { party, keyId, publicKey, status: 'active', registeredAt: position, rotatedAt: null, revokedAt: null };
  };
  const existingKey = (keyId: string): KeyRecord => {
    const key = view.key(party, keyId);
    if (!key) throw new LedgerError('LEDGER_UNKNOWN_KEY', `key ${party}/${keyId} is not registered`, { position, party, keyId });
    return key;
  };
  switch (body.kind) {
    case 'party_registration': {
      if (view.partyRegisteredAt(party) !== undefined) throw new LedgerError('LEDGER_PARTY_EXISTS', `party ${party} is already registered`, { position, party });
      return [{ type: 'party', party, registeredAt: position }];
    }
    case 'key_registration': {
      fields(payload, ['party', 'keyId', 'publicKey'], [], body.kind, position);
      requireParty();
      const { publicKey, keyId } = publicKeyField(h, payload, 'publicKey', 'keyId', position);
      return [{ type: 'key', record: newKey(publicKey, keyId) }];
    }
    case 'key_rotation': {
      fields(payload, ['party', 'keyId', 'newKeyId', 'newPublicKey'], [], body.kind, position);
      requireParty();
      if (party === OPERATOR_PARTY) {
        throw new LedgerError('LEDGER_OPERATOR_KEY', 'the operator key signs checkpoints and cannot be rotated through an entry', { position, party });
      }
      const old = existingKey(nameField(payload, 'keyId', position));
      if (old.status === 'revoked') throw new LedgerError('LEDGER_KEY_REVOKED', `key ${party}/${old.keyId} was revoked at position ${old.revokedAt}`, { position, party, keyId: old.keyId });
      if (old.status === 'rotated') throw new LedgerError('LEDGER_KEY_ROTATED', `key ${party}/${old.keyId} was already rotated out at position ${old.rotatedAt}`, { position, party, keyId: old.keyId });
      const { publicKey, keyId } = publicKeyField(h, payload, 'newPublicKey', 'newKeyId', position);
      return [
        { type: 'rotated', party, keyId: old.keyId, at: position },
        { type: 'key', record: newKey(publicKey, keyId) },
      ];
    }
    case 'key_revocation': {
      fields(payload, ['party', 'keyId'], ['reason'], body.kind, position);
      if (payload.reason !== undefined && typeof payload.reason !== 'string') malformed('payload.reason: not a string', { position, field: 'body.payload.reason' });
      requireParty();
      if (party === OPERATOR_PARTY) {
        throw new LedgerError('LEDGER_OPERATOR_KEY', 'the operator key signs checkpoints and cannot be revoked through an entry', { position, party });
      }
      const key = existingKey(nameField(payload, 'keyId', position));
      if (key.status === 'revoked') throw new LedgerError('LEDGER_KEY_REVOKED', `key ${party}/${key.keyId} was already revoked at position ${key.revokedAt}`, { position, party, keyId: key.keyId });
      return [{ type: 'revoked', party, keyId: key.keyId, at: position }];
    }
    default:
      return [];
  }
}

/** An in-memory key state (verifyLedger, tests). */
export class MemoryKeyBook implements KeyView {
  readonly parties = new Map<string, number>();
  readonly keys = new Map<string, KeyRecord>();
  private readonly publicKeys = new Set<string>();

  partyRegisteredAt(party: string): number | undefined {
    return this.parties.get(party);
  }
  key(party: string, keyId: string): KeyRecord | undefined {
    return this.keys.get(`${party}\u0000${keyId}`);
  }
  isPublicKeyRegistered(publicKey: Uint8Array): boolean {
    return this.publicKeys.has(toHex(publicKey));
  }
  apply(changes: KeyChange[]): void {
    for (const change of changes) {
      switch (change.type) {
        case 'party':
          this.parties.set(change.party, change.registeredAt);
          break;
        case 'key':
          this.keys.set(`${change.record.party}\u0000${change.record.keyId}`, { ...change.record });
          this.publicKeys.add(toHex(change.record.publicKey));
          break;
        case 'rotated': {
          const key = this.key(change.party, change.keyId)!;
          key.status = 'rotated';
          key.rotatedAt = change.at;
          break;
        }
        case 'revoked': {
          const key = this.key(change.party, change.keyId)!;
          key.status = 'revoked';
          key.revokedAt = change.at;
          break;
        }
      }
    }
  }
}

/** True when two key records say the same thing (verifyLedger compares the table with the entries). */
export function sameKeyRecord(a: KeyRecord, b: KeyRecord): boolean {
  return (
    a.party === b.party &&
    a.keyId === b.keyId &&
    equalBytes(a.publicKey, b.publicKey) &&
    a.status === b.status &&
    a.registeredAt === b.registeredAt &&
    a.rotatedAt === b.rotatedAt &&
    a.revokedAt === b.revokedAt
  );
}
