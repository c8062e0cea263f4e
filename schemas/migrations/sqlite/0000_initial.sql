CREATE TABLE `api_idempotency` (
	`party` text NOT NULL,
	`key` text NOT NULL,
	`route` text NOT NULL,
	`request_hash` blob NOT NULL,
	`status_code` integer NOT NULL,
	`response` text NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`party`, `key`)
);
--> statement-breakpoint
CREATE TABLE `api_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`token_hash` blob NOT NULL,
	`party` text NOT NULL,
	`role` text NOT NULL,
	`label` text,
	`created_at` text NOT NULL,
	`revoked_at` text,
	CONSTRAINT "api_tokens_role_known" CHECK(role IN ('manufacturer', 'distributor', 'dispenser', 'regulator', 'witness', 'admin'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_hash` ON `api_tokens` (`token_hash`);--> statement-breakpoint
CREATE TABLE `cn_check_keys` (
	`scheme_id` text PRIMARY KEY NOT NULL,
	`key` blob NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `coding_rules` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`product_id` integer NOT NULL,
	`scheme` text NOT NULL,
	`serial_alphabet_name` text NOT NULL,
	`serial_alphabet` text NOT NULL,
	`serial_length` integer NOT NULL,
	`planned_volume` integer NOT NULL,
	`check_scheme` text,
	`issued_count` integer DEFAULT 0 NOT NULL,
	`created_at` text NOT NULL,
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "coding_rules_scheme_known" CHECK(scheme IN ('gs1-sgtin', 'cn-20')),
	CONSTRAINT "coding_rules_length_positive" CHECK(serial_length BETWEEN 1 AND 20),
	CONSTRAINT "coding_rules_volume_positive" CHECK(planned_volume > 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `coding_rules_product_id_unique` ON `coding_rules` (`product_id`);--> statement-breakpoint
CREATE TABLE `issuance_batches` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`product_id` integer NOT NULL,
	`requested` integer NOT NULL,
	`issued` integer DEFAULT 0 NOT NULL,
	`started_at` text NOT NULL,
	`finished_at` text,
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `issued_serials` (
	`id` integer PRIMARY KEY NOT NULL,
	`product_id` integer NOT NULL,
	`serial` text NOT NULL,
	`batch_id` integer NOT NULL,
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`batch_id`) REFERENCES `issuance_batches`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `issued_serials_product_serial` ON `issued_serials` (`product_id`,`serial`);--> statement-breakpoint
CREATE INDEX `issued_serials_batch` ON `issued_serials` (`batch_id`);--> statement-breakpoint
CREATE TABLE `products` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`gtin` text,
	`cn_resource_code` text,
	`category` text NOT NULL,
	`packaging_level` text DEFAULT 'unit' NOT NULL,
	`storage_min_c` real,
	`storage_max_c` real,
	`created_at` text NOT NULL,
	CONSTRAINT "products_category_known" CHECK(category IN ('drug', 'vaccine', 'blood_product', 'special_drug', 'cosmetic', 'medical_device')),
	CONSTRAINT "products_packaging_known" CHECK(packaging_level IN ('unit', 'inner', 'case', 'pallet')),
	CONSTRAINT "products_has_key" CHECK(gtin IS NOT NULL OR cn_resource_code IS NOT NULL),
	CONSTRAINT "products_storage_order" CHECK(storage_min_c IS NULL OR storage_max_c IS NULL OR storage_min_c <= storage_max_c)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `products_gtin_unique` ON `products` (`gtin`);--> statement-breakpoint
CREATE UNIQUE INDEX `products_cn_resource_code_unique` ON `products` (`cn_resource_code`);--> statement-breakpoint
CREATE TABLE `ledger_checkpoints` (
	`size` integer PRIMARY KEY NOT NULL,
	`previous_size` integer DEFAULT 0 NOT NULL,
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
	`checkpoint_size` integer DEFAULT 0 NOT NULL,
	CONSTRAINT "ledger_meta_single_row" CHECK("ledger_meta"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE `ledger_parties` (
	`party` text PRIMARY KEY NOT NULL,
	`registered_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `trace_containers` (
	`parent` text NOT NULL,
	`child` text NOT NULL,
	`from_position` integer NOT NULL,
	`from_item` integer NOT NULL,
	`to_position` integer,
	`to_item` integer,
	PRIMARY KEY(`child`, `from_position`, `from_item`)
);
--> statement-breakpoint
CREATE INDEX `trace_containers_parent` ON `trace_containers` (`parent`,`to_position`);--> statement-breakpoint
CREATE TABLE `trace_events` (
	`hash_id` text PRIMARY KEY NOT NULL,
	`position` integer NOT NULL,
	`item` integer NOT NULL,
	`event_id` text,
	`event_type` text NOT NULL,
	`action` text,
	`biz_step` text,
	`disposition` text,
	`event_time` text NOT NULL,
	`party` text NOT NULL,
	`biz_location` text,
	`read_point` text,
	`erroneous_at` integer,
	`erroneous_reason` text
);
--> statement-breakpoint
CREATE INDEX `trace_events_position` ON `trace_events` (`position`,`item`);--> statement-breakpoint
CREATE INDEX `trace_events_event_id` ON `trace_events` (`event_id`);--> statement-breakpoint
CREATE TABLE `trace_lineage` (
	`input` text NOT NULL,
	`output` text NOT NULL,
	`position` integer NOT NULL,
	`item` integer NOT NULL,
	PRIMARY KEY(`input`, `output`, `position`, `item`)
);
--> statement-breakpoint
CREATE INDEX `trace_lineage_output` ON `trace_lineage` (`output`);--> statement-breakpoint
CREATE TABLE `trace_lots` (
	`product` text NOT NULL,
	`lot` text NOT NULL,
	`expiry` text,
	`party` text NOT NULL,
	`first_position` integer NOT NULL,
	PRIMARY KEY(`product`, `lot`)
);
--> statement-breakpoint
CREATE TABLE `trace_parties` (
	`party` text PRIMARY KEY NOT NULL,
	`role` text NOT NULL,
	`name` text NOT NULL,
	`registered_at` integer NOT NULL,
	CONSTRAINT "trace_parties_role_known" CHECK(role IN ('manufacturer', 'distributor', 'wholesaler', 'pharmacy', 'hospital', 'regulator', 'logistics', 'other'))
);
--> statement-breakpoint
CREATE TABLE `trace_party_locations` (
	`location` text PRIMARY KEY NOT NULL,
	`party` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `trace_party_locations_party` ON `trace_party_locations` (`party`);--> statement-breakpoint
CREATE TABLE `trace_party_prefixes` (
	`party` text NOT NULL,
	`kind` text NOT NULL,
	`prefix` text NOT NULL,
	PRIMARY KEY(`party`, `kind`, `prefix`)
);
--> statement-breakpoint
CREATE INDEX `trace_party_prefixes_prefix` ON `trace_party_prefixes` (`kind`,`prefix`);--> statement-breakpoint
CREATE TABLE `trace_recalls` (
	`position` integer PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`party` text NOT NULL,
	`product` text,
	`lot` text,
	`reason` text NOT NULL,
	`unit_count` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `trace_shipments` (
	`position` integer NOT NULL,
	`item` integer NOT NULL,
	`hash_id` text NOT NULL,
	`from_party` text NOT NULL,
	`to_party` text,
	`to_location` text,
	`shipped_at` text NOT NULL,
	`code_count` integer NOT NULL,
	PRIMARY KEY(`position`, `item`)
);
--> statement-breakpoint
CREATE INDEX `trace_shipments_from` ON `trace_shipments` (`from_party`);--> statement-breakpoint
CREATE INDEX `trace_shipments_to` ON `trace_shipments` (`to_party`);--> statement-breakpoint
CREATE TABLE `trace_unit_events` (
	`code` text NOT NULL,
	`position` integer NOT NULL,
	`item` integer NOT NULL,
	`hash_id` text NOT NULL,
	`event_time` text NOT NULL,
	`biz_step` text,
	`disposition` text,
	`party` text NOT NULL,
	`via` text,
	`role` text NOT NULL,
	`quantity` real,
	`uom` text,
	PRIMARY KEY(`code`, `position`, `item`)
);
--> statement-breakpoint
CREATE TABLE `trace_units` (
	`code` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`status` text NOT NULL,
	`recalled` integer DEFAULT false NOT NULL,
	`product` text,
	`lot` text,
	`expiry` text,
	`custodian` text,
	`location` text,
	`parent` text,
	`shipped_to` text,
	`status_before` text,
	`dispensed_party` text,
	`dispensed_location` text,
	`dispensed_at` text,
	`commissioned_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`last_event_at` text,
	`custody_trail` text,
	CONSTRAINT "trace_units_status_known" CHECK(status IN ('active', 'in_transit', 'received', 'dispensed', 'exported', 'sample', 'destroyed', 'stolen', 'locked', 'recalled', 'withdrawn'))
);
--> statement-breakpoint
CREATE INDEX `trace_units_lot` ON `trace_units` (`product`,`lot`,`code`);--> statement-breakpoint
CREATE INDEX `trace_units_parent` ON `trace_units` (`parent`);--> statement-breakpoint
CREATE INDEX `trace_units_custodian` ON `trace_units` (`custodian`);