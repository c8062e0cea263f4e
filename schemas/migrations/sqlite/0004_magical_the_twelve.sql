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
	CONSTRAINT "trace_units_status_known" CHECK(status IN ('active', 'in_transit', 'received', 'dispensed', 'exported', 'sample', 'destroyed', 'stolen', 'locked', 'recalled', 'withdrawn'))
);
--> statement-breakpoint
CREATE INDEX `trace_units_lot` ON `trace_units` (`product`,`lot`);--> statement-breakpoint
CREATE INDEX `trace_units_parent` ON `trace_units` (`parent`);--> statement-breakpoint
CREATE INDEX `trace_units_custodian` ON `trace_units` (`custodian`);