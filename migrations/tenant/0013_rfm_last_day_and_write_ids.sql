-- RFM keeps the day of a contact's last interaction instead of the days from it to the run's day,
-- so a contact's row changes only when their numbers do and the nightly write-back writes only
-- the rows that changed (docs/decisions/0007). Rebuilt by hand rather than drizzle-kit's
-- ADD NOT NULL / DROP COLUMN (which fails on a table with rows): the rows kept carry the same
-- day, computed from the run they were computed for (a run_date that is not a day keeps it as is).
CREATE TABLE `__new_analytics_rfm` (
	`contact_id` integer PRIMARY KEY NOT NULL,
	`last_day` text NOT NULL,
	`frequency` integer NOT NULL,
	`monetary_cents` integer NOT NULL,
	`r_score` integer NOT NULL,
	`f_score` integer NOT NULL,
	`m_score` integer NOT NULL,
	`segment` text NOT NULL,
	`run_date` text NOT NULL
);
--> statement-breakpoint
INSERT INTO `__new_analytics_rfm` (`contact_id`, `last_day`, `frequency`, `monetary_cents`, `r_score`, `f_score`, `m_score`, `segment`, `run_date`)
  SELECT `contact_id`, COALESCE(date(`run_date`, printf('-%d days', `recency_days`)), `run_date`), `frequency`, `monetary_cents`, `r_score`, `f_score`, `m_score`, `segment`, `run_date`
  FROM `analytics_rfm`;
--> statement-breakpoint
DROP TABLE `analytics_rfm`;
--> statement-breakpoint
ALTER TABLE `__new_analytics_rfm` RENAME TO `analytics_rfm`;
--> statement-breakpoint
CREATE INDEX `analytics_rfm_segment_idx` ON `analytics_rfm` (`segment`,`contact_id`);
--> statement-breakpoint
-- The write-back's mark (src/analytics/schema.ts): none yet, so the next run writes every job in full.
ALTER TABLE `analytics_freshness` ADD `write_id` text;
