CREATE TABLE `ledger_checkpoints` (
	`size` integer PRIMARY KEY NOT NULL,
	`root` blob NOT NULL,
	`note` text NOT NULL,
	`cosignatures` text DEFAULT '[]' NOT NULL
);
--> statement-breakpoint
CREATE TABLE `ledger_entries` (
	`position` integer PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`signer_party` text NOT NULL,
	`signer_key_id` text NOT NULL,
	`body_hash` blob NOT NULL,
	`prev_hash` blob NOT NULL,
	`entry_hash` blob NOT NULL,
	`leaf_hash` blob NOT NULL,
	`bytes` blob NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ledger_entries_body_hash` ON `ledger_entries` (`body_hash`);--> statement-breakpoint
CREATE TABLE `ledger_items` (
	`entry_position` integer NOT NULL,
	`item_index` integer NOT NULL,
	`item_hash` blob NOT NULL,
	`bytes` blob NOT NULL,
	`path` blob NOT NULL,
	PRIMARY KEY(`entry_position`, `item_index`)
);
--> statement-breakpoint
CREATE TABLE `ledger_keys` (
	`party` text NOT NULL,
	`key_id` text NOT NULL,
	`public_key` blob NOT NULL,
	`status` text NOT NULL,
	`registered_at` integer NOT NULL,
	`rotated_at` integer,
	`revoked_at` integer,
	PRIMARY KEY(`party`, `key_id`),
	CONSTRAINT "ledger_keys_status" CHECK("ledger_keys"."status" in ('active', 'rotated', 'revoked'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ledger_keys_public_key` ON `ledger_keys` (`public_key`);--> statement-breakpoint
CREATE TABLE `ledger_merkle_nodes` (
	`level` integer NOT NULL,
	`idx` integer NOT NULL,
	`hash` blob NOT NULL,
	PRIMARY KEY(`level`, `idx`)
);
--> statement-breakpoint
CREATE TABLE `ledger_meta` (
	`id` integer PRIMARY KEY NOT NULL,
	`origin` text NOT NULL,
	`operator_key_id` text NOT NULL,
	`operator_public_key` blob NOT NULL,
	CONSTRAINT "ledger_meta_single_row" CHECK("ledger_meta"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE `ledger_parties` (
	`party` text PRIMARY KEY NOT NULL,
	`registered_at` integer NOT NULL
);
