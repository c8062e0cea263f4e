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
CREATE UNIQUE INDEX `products_cn_resource_code_unique` ON `products` (`cn_resource_code`);