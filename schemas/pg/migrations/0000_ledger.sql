CREATE TABLE "ledger_checkpoints" (
	"size" bigint PRIMARY KEY NOT NULL,
	"previous_size" bigint DEFAULT 0 NOT NULL,
	"root" "bytea" NOT NULL,
	"note" text NOT NULL,
	"cosignatures" text DEFAULT '[]' NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ledger_entries" (
	"position" bigint PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"signer_party" text NOT NULL,
	"signer_key_id" text NOT NULL,
	"body_hash" "bytea" NOT NULL,
	"prev_hash" "bytea" NOT NULL,
	"entry_hash" "bytea" NOT NULL,
	"leaf_hash" "bytea" NOT NULL,
	"bytes" "bytea" NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ledger_items" (
	"entry_position" bigint NOT NULL,
	"item_index" integer NOT NULL,
	"item_hash" "bytea" NOT NULL,
	"bytes" "bytea" NOT NULL,
	"path" "bytea" NOT NULL,
	CONSTRAINT "ledger_items_entry_position_item_index_pk" PRIMARY KEY("entry_position","item_index")
);
--> statement-breakpoint
CREATE TABLE "ledger_keys" (
	"party" text NOT NULL,
	"key_id" text NOT NULL,
	"public_key" "bytea" NOT NULL,
	"status" text NOT NULL,
	"registered_at" bigint NOT NULL,
	"rotated_at" bigint,
	"revoked_at" bigint,
	CONSTRAINT "ledger_keys_party_key_id_pk" PRIMARY KEY("party","key_id"),
	CONSTRAINT "ledger_keys_status" CHECK ("ledger_keys"."status" in ('active', 'rotated', 'revoked'))
);
--> statement-breakpoint
CREATE TABLE "ledger_merkle_nodes" (
	"level" integer NOT NULL,
	"idx" bigint NOT NULL,
	"hash" "bytea" NOT NULL,
	CONSTRAINT "ledger_merkle_nodes_level_idx_pk" PRIMARY KEY("level","idx")
);
--> statement-breakpoint
CREATE TABLE "ledger_meta" (
	"id" integer PRIMARY KEY NOT NULL,
	"origin" text NOT NULL,
	"operator_key_id" text NOT NULL,
	"operator_public_key" "bytea" NOT NULL,
	"checkpoint_size" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "ledger_meta_single_row" CHECK ("ledger_meta"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "ledger_parties" (
	"party" text PRIMARY KEY NOT NULL,
	"registered_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_entries_body_hash" ON "ledger_entries" USING btree ("body_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_keys_public_key" ON "ledger_keys" USING btree ("public_key");