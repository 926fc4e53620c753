-- Takes back 0014's mark triggers on the result tables: run for every row the write-back writes,
-- they cost more than the rows (measured on a workspace's 1,000 RFM rows: 400 changed rows
-- upserted in 6.9 ms against 5.1 ms without them, all rows replaced in 12.9 ms against 6.6 ms,
-- since a table with a delete trigger is emptied row by row). The write-back's check stays the
-- mark and the row count (docs/decisions/0009): rows removed (erasure, merge, by hand) or a file
-- put back are caught, a row edited in place by hand is not. 0014's triggers that delete a
-- contact's RFM row and a company's churn row with them stay.
DROP TRIGGER IF EXISTS `analytics_rfm_mark_after_insert`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `analytics_rfm_mark_after_update`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `analytics_rfm_mark_after_delete`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `analytics_cohorts_mark_after_insert`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `analytics_cohorts_mark_after_update`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `analytics_cohorts_mark_after_delete`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `analytics_funnel_mark_after_insert`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `analytics_funnel_mark_after_update`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `analytics_funnel_mark_after_delete`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `analytics_heatmap_mark_after_insert`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `analytics_heatmap_mark_after_update`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `analytics_heatmap_mark_after_delete`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `analytics_churn_mark_after_insert`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `analytics_churn_mark_after_update`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `analytics_churn_mark_after_delete`;
