CREATE TABLE `analytics_runs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`run_date` text NOT NULL,
	`trigger` text NOT NULL,
	`status` text NOT NULL,
	`pid` integer NOT NULL,
	`started_at` integer NOT NULL,
	`ended_at` integer,
	`exported_rows` integer DEFAULT 0 NOT NULL,
	`jobs` text DEFAULT '{}' NOT NULL,
	`error` text
);
--> statement-breakpoint
CREATE INDEX `analytics_runs_started_idx` ON `analytics_runs` (`started_at`);--> statement-breakpoint
CREATE TABLE `analytics_usage` (
	`run_date` text NOT NULL,
	`tenant_id` text NOT NULL,
	`active_users` integer NOT NULL,
	`events` integer NOT NULL,
	`events_per_day` integer NOT NULL,
	`storage_bytes` integer NOT NULL,
	PRIMARY KEY(`run_date`, `tenant_id`)
);
