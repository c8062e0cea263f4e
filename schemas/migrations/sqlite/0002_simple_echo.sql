CREATE TABLE `oversight_alert_parties` (
	`alert_id` integer NOT NULL,
	`party` text NOT NULL,
	PRIMARY KEY(`alert_id`, `party`)
);
--> statement-breakpoint
CREATE INDEX `oversight_alert_parties_party` ON `oversight_alert_parties` (`party`,`alert_id`);--> statement-breakpoint
CREATE TABLE `oversight_alerts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`detector` text NOT NULL,
	`version` text NOT NULL,
	`filing` integer NOT NULL,
	`key` text NOT NULL,
	`subject` text NOT NULL,
	`severity` text NOT NULL,
	`summary` text NOT NULL,
	`details` text NOT NULL,
	`evidence` text NOT NULL,
	`observed_at` text NOT NULL,
	`created_at` text NOT NULL,
	`status` text DEFAULT 'open' NOT NULL,
	`review_position` integer,
	`reviewer` text,
	`review_party` text,
	`review_reason` text,
	`reviewed_at` text,
	CONSTRAINT "oversight_alerts_status_known" CHECK(status IN ('open', 'confirmed', 'dismissed'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `oversight_alerts_key` ON `oversight_alerts` (`detector`,`key`);--> statement-breakpoint
CREATE INDEX `oversight_alerts_status` ON `oversight_alerts` (`status`,`id`);--> statement-breakpoint
CREATE TABLE `oversight_filings` (
	`position` integer PRIMARY KEY NOT NULL,
	`detector` text NOT NULL,
	`version` text NOT NULL,
	`signer` text NOT NULL,
	`parameters` text NOT NULL,
	`validation` text NOT NULL,
	`filed_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `oversight_filings_detector` ON `oversight_filings` (`detector`,`version`,`position`);--> statement-breakpoint
CREATE TABLE `oversight_observations` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`code` text NOT NULL,
	`party` text,
	`at` text NOT NULL,
	`data` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `oversight_observations_code` ON `oversight_observations` (`code`,`id`);--> statement-breakpoint
CREATE INDEX `oversight_observations_at` ON `oversight_observations` (`at`);