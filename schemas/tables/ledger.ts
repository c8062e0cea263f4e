/**
 * The ledger's SQLite tables (docs/ledger.md). `ledger_entries.bytes` is the source of truth:
 * every other column and table is derived from the entries and is re-derived and compared by
 * `verifyLedger` (ledger/verify.ts), so changing any stored byte is caught.
 */
import { sql } from 'drizzle-orm';
import { blob, check, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/** One row per appended signed document, position 0 being the operator's genesis key registration. */
export const ledgerEntries = sqliteTable(
  'ledger_entries',
  {
    position: integer('position').primaryKey(),
    kind: text('kind').notNull(),
    signerParty: text('signer_party').notNull(),
    signerKeyId: text('signer_key_id').notNull(),
    /** SHA-256(JCS(body)): what the signer signed, and the idempotency key. */
    bodyHash: blob('body_hash', { mode: 'buffer' }).notNull(),
    /** SHA-256 of the previous entry's canonical bytes (32 zero bytes for position 0). */
    prevHash: blob('prev_hash', { mode: 'buffer' }).notNull(),
    /** SHA-256 of this entry's canonical bytes; the next entry's prevHash. */
    entryHash: blob('entry_hash', { mode: 'buffer' }).notNull(),
    /** RFC 9162 leaf hash: SHA-256(0x00 || bytes). */
    leafHash: blob('leaf_hash', { mode: 'buffer' }).notNull(),
    /** The stored entry, RFC 8785 canonical JSON: {body, position, prev, receivedAt, signature}. */
    bytes: blob('bytes', { mode: 'buffer' }).notNull(),
  },
  (t) => [uniqueIndex('ledger_entries_body_hash').on(t.bodyHash)],
);

/** The items (events) of batch documents, each with its inclusion path to the signed itemsRoot. */
export const ledgerItems = sqliteTable(
  'ledger_items',
  {
    // No foreign key: it would cost a lookup per item on the hot path, and verifyLedger already
    // refuses items that belong to no entry.
    entryPosition: integer('entry_position').notNull(),
    itemIndex: integer('item_index').notNull(),
    /** SHA-256(bytes). */
    itemHash: blob('item_hash', { mode: 'buffer' }).notNull(),
    /** The item's bytes, opaque to the ledger (the trace layer stores canonical event JSON). */
    bytes: blob('bytes', { mode: 'buffer' }).notNull(),
    /** RFC 9162 inclusion path of the item in its document's item tree: 32-byte hashes concatenated. */
    path: blob('path', { mode: 'buffer' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.entryPosition, t.itemIndex] })],
);

/**
 * Hashes of the complete subtrees of the entry tree: node (level, idx) covers entries
 * [idx·2^level, (idx+1)·2^level). Level 0 holds the leaf hashes. Enough for O(log n) roots and proofs.
 */
export const ledgerMerkleNodes = sqliteTable(
  'ledger_merkle_nodes',
  {
    level: integer('level').notNull(),
    idx: integer('idx').notNull(),
    hash: blob('hash', { mode: 'buffer' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.level, t.idx] })],
);

/** Parties registered by the operator (derived from party_registration entries). */
export const ledgerParties = sqliteTable('ledger_parties', {
  party: text('party').primaryKey(),
  registeredAt: integer('registered_at').notNull(),
});

/** Signing keys and their state (derived from key registration, rotation and revocation entries). */
export const ledgerKeys = sqliteTable(
  'ledger_keys',
  {
    party: text('party').notNull(),
    keyId: text('key_id').notNull(),
    publicKey: blob('public_key', { mode: 'buffer' }).notNull(),
    /** 'active' | 'rotated' | 'revoked' */
    status: text('status').notNull(),
    registeredAt: integer('registered_at').notNull(),
    rotatedAt: integer('rotated_at'),
    revokedAt: integer('revoked_at'),
  },
  (t) => [
    primaryKey({ columns: [t.party, t.keyId] }),
    uniqueIndex('ledger_keys_public_key').on(t.publicKey),
    check('ledger_keys_status', sql`${t.status} in ('active', 'rotated', 'revoked')`),
  ],
);

/** Operator-signed checkpoints (C2SP tlog-checkpoint in signed-note form) and witness cosignatures. */
export const ledgerCheckpoints = sqliteTable('ledger_checkpoints', {
  size: integer('size').primaryKey(),
  /** The size of the checkpoint before this one (0 for the first): a deleted checkpoint breaks the chain. */
  previousSize: integer('previous_size').notNull().default(0),
  root: blob('root', { mode: 'buffer' }).notNull(),
  /** The signed note as text: body, blank line, signature lines. */
  note: text('note').notNull(),
  /** JSON array of {name, publicKey (base64), line}: each witness's cosignature line and key. */
  cosignatures: text('cosignatures').notNull().default('[]'),
});

/** One row: the log's origin line and the operator's public key (also fixed by entry 0). */
export const ledgerMeta = sqliteTable(
  'ledger_meta',
  {
    id: integer('id').primaryKey(),
    origin: text('origin').notNull(),
    operatorKeyId: text('operator_key_id').notNull(),
    operatorPublicKey: blob('operator_public_key', { mode: 'buffer' }).notNull(),
    /** Size of the newest stored checkpoint, so a deleted newest checkpoint row is noticed. */
    checkpointSize: integer('checkpoint_size').notNull().default(0),
  },
  (t) => [check('ledger_meta_single_row', sql`${t.id} = 1`)],
);

export const ledgerTables = {
  ledgerEntries,
  ledgerItems,
  ledgerMerkleNodes,
  ledgerParties,
  ledgerKeys,
  ledgerCheckpoints,
  ledgerMeta,
};
