ALTER TABLE `tenants` ADD `failure` text;--> statement-breakpoint
ALTER TABLE `tenants` ADD `failed_at` integer;