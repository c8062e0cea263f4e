DROP INDEX `trace_units_lot`;--> statement-breakpoint
CREATE INDEX `trace_units_lot` ON `trace_units` (`product`,`lot`,`code`);