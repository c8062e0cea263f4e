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
CREATE UNIQUE INDEX `api_tokens_hash` ON `api_tokens` (`token_hash`);