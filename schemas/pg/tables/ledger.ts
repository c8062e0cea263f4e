/**
 * The ledger's PostgreSQL tables: the same tables, column names and meaning as the SQLite ones in
 * schemas/tables/ledger.ts (docs/ledger.md), so a ledger copied from one to the other holds the
 * same bytes and verifies to the same roots. Differences are PostgreSQL types only: positions and
 * indexes are bigint (tens of billions of entries), blobs are bytea.
 */
import { sql } from 'drizzle-orm';
import { bigint, check, customType, integer, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';

/** bytea as a Buffer (node-postgres returns Buffers for bytea). */
const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

/** Positions and counts: int8 in the database, a JS number (every position is a safe integer). */
const int8 = (name: string) => bigint(name, { mode: 'number' });

export const ledgerEntries = pgTable(
  'ledger_entries',
  {
    position: int8('position').primaryKey(),
    kind: text('kind').notNull(),
    signerParty: text('signer_party').notNull(),
    signerKeyId: text('signer_key_id').notNull(),
    bodyHash: bytea('body_hash').notNull(),
    prevHash: bytea('prev_hash').notNull(),
    entryHash: bytea('entry_hash').notNull(),
    leafHash: bytea('leaf_hash').notNull(),
    bytes: bytea('bytes').notNull(),
  },
  (t) => [uniqueIndex('ledger_entries_body_hash').on(t.bodyHash)],
);

export const ledgerItems = pgTable(
  'ledger_items',
  {
    entryPosition: int8('entry_position').notNull(),
    itemIndex: integer('item_index').notNull(),
    itemHash: bytea('item_hash').notNull(),
    bytes: bytea('bytes').notNull(),
    path: bytea('path').notNull(),
  },
  (t) => [primaryKey({ columns: [t.entryPosition, t.itemIndex] })],
);

export const ledgerMerkleNodes = pgTable(
  'ledger_merkle_nodes',
  {
    level: integer('level').notNull(),
    idx: int8('idx').notNull(),
    hash: bytea('hash').notNull(),
  },
  (t) => [primaryKey({ columns: [t.level, t.idx] })],
);

export const ledgerParties = pgTable('ledger_parties', {
  party: text('party').primaryKey(),
  registeredAt: int8('registered_at').notNull(),
});

export const ledgerKeys = pgTable(
  'ledger_keys',
  {
    party: text('party').notNull(),
    keyId: text('key_id').notNull(),
    publicKey: bytea('public_key').notNull(),
    status: text('status').notNull(),
    registeredAt: int8('registered_at').notNull(),
    rotatedAt: int8('rotated_at'),
    revokedAt: int8('revoked_at'),
  },
  (t) => [
    primaryKey({ columns: [t.party, t.keyId] }),
    uniqueIndex('ledger_keys_public_key').on(t.publicKey),
    check('ledger_keys_status', sql`${t.status} in ('active', 'rotated', 'revoked')`),
  ],
);

export const ledgerCheckpoints = pgTable('ledger_checkpoints', {
  size: int8('size').primaryKey(),
  previousSize: int8('previous_size').notNull().default(0),
  root: bytea('root').notNull(),
  note: text('note').notNull(),
  cosignatures: text('cosignatures').notNull().default('[]'),
});

export const ledgerMeta = pgTable(
  'ledger_meta',
  {
    id: integer('id').primaryKey(),
    origin: text('origin').notNull(),
    operatorKeyId: text('operator_key_id').notNull(),
    operatorPublicKey: bytea('operator_public_key').notNull(),
    checkpointSize: int8('checkpoint_size').notNull().default(0),
  },
  (t) => [check('ledger_meta_single_row', sql`${t.id} = 1`)],
);

export const ledgerPgTables = {
  ledgerEntries,
  ledgerItems,
  ledgerMerkleNodes,
  ledgerParties,
  ledgerKeys,
  ledgerCheckpoints,
  ledgerMeta,
};
