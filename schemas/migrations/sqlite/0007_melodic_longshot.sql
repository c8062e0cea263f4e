ALTER TABLE `trace_units` ADD `last_event_at` text;--> statement-breakpoint
ALTER TABLE `trace_units` ADD `custody_trail` text;