CREATE TABLE `analytics_churn` (
	`company_id` integer PRIMARY KEY NOT NULL,
	`recent_90` integer NOT NULL,
	`previous_90` integer NOT NULL,
	`trend` real NOT NULL,
	`risk` text NOT NULL,
	`run_date` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `analytics_churn_risk_idx` ON `analytics_churn` (`risk`,`company_id`);--> statement-breakpoint
CREATE TABLE `analytics_cohorts` (
	`cohort_month` text NOT NULL,
	`month_offset` integer NOT NULL,
	`cohort_size` integer NOT NULL,
	`active` integer NOT NULL,
	`run_date` text NOT NULL,
	PRIMARY KEY(`cohort_month`, `month_offset`)
);
--> statement-breakpoint
CREATE TABLE `analytics_freshness` (
	`job` text PRIMARY KEY NOT NULL,
	`run_date` text NOT NULL,
	`computed_at` integer NOT NULL,
	`rows` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `analytics_funnel` (
	`pipeline_id` integer NOT NULL,
	`month` text NOT NULL,
	`stage_id` integer NOT NULL,
	`entered` integer NOT NULL,
	`advanced` integer NOT NULL,
	`median_days` real,
	`run_date` text NOT NULL,
	PRIMARY KEY(`pipeline_id`, `month`, `stage_id`)
);
--> statement-breakpoint
CREATE TABLE `analytics_heatmap` (
	`owner_id` integer NOT NULL,
	`weekday` integer NOT NULL,
	`hour` integer NOT NULL,
	`interactions` integer NOT NULL,
	`run_date` text NOT NULL,
	PRIMARY KEY(`owner_id`, `weekday`, `hour`)
);
--> statement-breakpoint
CREATE TABLE `analytics_rfm` (
	`contact_id` integer PRIMARY KEY NOT NULL,
	`recency_days` integer NOT NULL,
	`frequency` integer NOT NULL,
	`monetary_cents` integer NOT NULL,
	`r_score` integer NOT NULL,
	`f_score` integer NOT NULL,
	`m_score` integer NOT NULL,
	`segment` text NOT NULL,
	`run_date` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `analytics_rfm_segment_idx` ON `analytics_rfm` (`segment`,`contact_id`);--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`scope` text NOT NULL,
	`key` text NOT NULL,
	`route` text NOT NULL,
	`request_hash` text NOT NULL,
	`status` integer NOT NULL,
	`response` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`scope`, `key`)
);
--> statement-breakpoint
CREATE INDEX `idempotency_keys_created_idx` ON `idempotency_keys` (`created_at`);