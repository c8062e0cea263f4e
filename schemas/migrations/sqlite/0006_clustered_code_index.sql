-- Hand-written (drizzle-kit cannot express WITHOUT ROWID): the per-code event index and the
-- container intervals become clustered by their primary key, so one code's rows sit together in
-- one b-tree and a history reads them in one or two pages instead of one table page per row
-- (rows were stored in ledger order) plus the separate primary-key index.
CREATE TABLE `__new_trace_unit_events` (
	`code` text NOT NULL,
	`position` integer NOT NULL,
	`item` integer NOT NULL,
	`via` text,
	`role` text NOT NULL,
	`quantity` real,
	`uom` text,
	PRIMARY KEY(`code`, `position`, `item`)
) WITHOUT ROWID;--> statement-breakpoint
INSERT INTO `__new_trace_unit_events` (`code`, `position`, `item`, `via`, `role`, `quantity`, `uom`)
	SELECT `code`, `position`, `item`, `via`, `role`, `quantity`, `uom` FROM `trace_unit_events` ORDER BY `code`, `position`, `item`;--> statement-breakpoint
DROP TABLE `trace_unit_events`;--> statement-breakpoint
ALTER TABLE `__new_trace_unit_events` RENAME TO `trace_unit_events`;--> statement-breakpoint
CREATE INDEX `trace_unit_events_event` ON `trace_unit_events` (`position`,`item`);--> statement-breakpoint
CREATE TABLE `__new_trace_containers` (
	`parent` text NOT NULL,
	`child` text NOT NULL,
	`from_position` integer NOT NULL,
	`from_item` integer NOT NULL,
	`to_position` integer,
	`to_item` integer,
	PRIMARY KEY(`child`, `from_position`, `from_item`)
) WITHOUT ROWID;--> statement-breakpoint
INSERT INTO `__new_trace_containers` (`parent`, `child`, `from_position`, `from_item`, `to_position`, `to_item`)
	SELECT `parent`, `child`, `from_position`, `from_item`, `to_position`, `to_item` FROM `trace_containers` ORDER BY `child`, `from_position`, `from_item`;--> statement-breakpoint
DROP TABLE `trace_containers`;--> statement-breakpoint
ALTER TABLE `__new_trace_containers` RENAME TO `trace_containers`;--> statement-breakpoint
CREATE INDEX `trace_containers_parent` ON `trace_containers` (`parent`,`to_position`);
