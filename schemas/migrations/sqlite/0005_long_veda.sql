ALTER TABLE `trace_unit_events` DROP COLUMN `hash_id`;--> statement-breakpoint
ALTER TABLE `trace_unit_events` DROP COLUMN `event_time`;--> statement-breakpoint
ALTER TABLE `trace_unit_events` DROP COLUMN `biz_step`;--> statement-breakpoint
ALTER TABLE `trace_unit_events` DROP COLUMN `disposition`;--> statement-breakpoint
ALTER TABLE `trace_unit_events` DROP COLUMN `party`;