CREATE TABLE `oversight_deliveries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`webhook_id` text NOT NULL,
	`notice_id` integer NOT NULL,
	`state` text NOT NULL,
	`attempts` integer NOT NULL,
	`next_attempt_at` text,
	`last_status` integer,
	`last_error` text,
	`created_at` text NOT NULL,
	`delivered_at` text,
	CONSTRAINT "oversight_deliveries_state_known" CHECK(state IN ('pending', 'delivered', 'failed'))
);
--> statement-breakpoint
CREATE INDEX `oversight_deliveries_webhook` ON `oversight_deliveries` (`webhook_id`,`id`);--> statement-breakpoint
CREATE INDEX `oversight_deliveries_pending` ON `oversight_deliveries` (`state`,`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `oversight_delivery_attempts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`delivery_id` integer NOT NULL,
	`attempt` integer NOT NULL,
	`at` text NOT NULL,
	`status` integer,
	`error` text,
	`duration_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `oversight_notices` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`type` text NOT NULL,
	`party` text,
	`data` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `oversight_notices_type` ON `oversight_notices` (`type`,`id`);--> statement-breakpoint
CREATE INDEX `oversight_notices_party` ON `oversight_notices` (`party`,`id`);--> statement-breakpoint
CREATE TABLE `oversight_webhooks` (
	`id` text PRIMARY KEY NOT NULL,
	`party` text NOT NULL,
	`role` text NOT NULL,
	`url` text NOT NULL,
	`secret` text NOT NULL,
	`types` text NOT NULL,
	`created_at` text NOT NULL,
	`deleted_at` text
);
--> statement-breakpoint
CREATE INDEX `oversight_webhooks_party` ON `oversight_webhooks` (`party`);