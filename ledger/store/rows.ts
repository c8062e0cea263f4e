/**
 * Ledger rows as both adapters read them: the column lists and the mapping from a driver's row
 * (snake_case columns, BLOBs/bytea as Buffers) to the store interface's records.
 */
import type { KeyRecord, KeyStatus } from '../keys.ts';
import type { CheckpointRecord, EntryRow, ItemRow } from './store.ts';

export type Row = Record<string, unknown>;


export const ENTRY_COLUMNS = 'position, kind, signer_party, signer_key_id, body_hash, prev_hash, entry_hash, leaf_hash, bytes';
export const ITEM_COLUMNS = 'entry_position, item_index, item_hash, bytes, path';
export const CHECKPOINT_COLUMNS = 'size, previous_size, root, note, cosignatures';

export const entryRow = (r: Row): EntryRow => ({
  position: r.position as number,
  kind: r.kind as string,
  signerParty: r.signer_party as string,
  signerKeyId: r.signer_key_id as string,
  bodyHash: r.body_hash as Buffer,
  prevHash: r.prev_hash as Buffer,
  entryHash: r.entry_hash as Buffer,
  leafHash: r.leaf_hash as Buffer,
  bytes: r.bytes as Buffer,
});
export const itemRow = (r: Row): ItemRow => ({
  entryPosition: r.entry_position as number,
  itemIndex: r.item_index as number,
  itemHash: r.item_hash as Buffer,
  bytes: r.bytes as Buffer,
  path: r.path as Buffer,
});
export const checkpointRow = (r: Row): CheckpointRecord => ({
  size: r.size as number,
  previousSize: r.previous_size as number,
  root: r.root as Buffer,
  note: r.note as string,
  cosignatures: r.cosignatures as string,
});
export const keyRow = (r: Row): KeyRecord => ({
  party: r.party as string,
  keyId: r.key_id as string,
  publicKey: r.public_key as Buffer,
  status: r.status as KeyStatus,
  registeredAt: r.registered_at as number,
  rotatedAt: r.rotated_at as number | null,
  revokedAt: r.revoked_at as number | null,
});
