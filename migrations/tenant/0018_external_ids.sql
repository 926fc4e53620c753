ALTER TABLE `companies` ADD `external_id` text;--> statement-breakpoint
CREATE UNIQUE INDEX `companies_external_id_idx` ON `companies` (`external_id`) WHERE external_id IS NOT NULL;--> statement-breakpoint
ALTER TABLE `contacts` ADD `external_id` text;--> statement-breakpoint
CREATE UNIQUE INDEX `contacts_external_id_idx` ON `contacts` (`external_id`) WHERE external_id IS NOT NULL;--> statement-breakpoint
ALTER TABLE `deals` ADD `external_id` text;--> statement-breakpoint
CREATE UNIQUE INDEX `deals_external_id_idx` ON `deals` (`external_id`) WHERE external_id IS NOT NULL;--> statement-breakpoint
ALTER TABLE `idempotency_keys` ADD `location` text;