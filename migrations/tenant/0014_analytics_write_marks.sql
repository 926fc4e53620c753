-- The nightly write-back writes only the rows that changed since it last wrote a workspace
-- (docs/decisions/0009), so it must know when anything else changed a result table: any insert,
-- update or delete not made by the write-back clears that job's mark (analytics_freshness.write_id),
-- and the next run writes the job in full. The write-back's own writes clear it too, then set the
-- new mark last in the same transaction. The WHEN keeps a write of many rows to one lookup per
-- row once the mark is gone. Deleting a contact (erasure, merge, delete) or a company takes its
-- RFM or churn row with it at once, as a full write would. Hand-written: drizzle-kit cannot
-- express triggers; a migration that rebuilds one of these tables must create them again
-- (test/analytics-delta-migration.test.ts checks them).
CREATE TRIGGER `analytics_rfm_mark_after_insert` AFTER INSERT ON `analytics_rfm`
  WHEN (SELECT `write_id` FROM `analytics_freshness` WHERE `job` = 'rfm') IS NOT NULL BEGIN
  UPDATE `analytics_freshness` SET `write_id` = NULL WHERE `job` = 'rfm';
END;
--> statement-breakpoint
CREATE TRIGGER `analytics_rfm_mark_after_update` AFTER UPDATE ON `analytics_rfm`
  WHEN (SELECT `write_id` FROM `analytics_freshness` WHERE `job` = 'rfm') IS NOT NULL BEGIN
  UPDATE `analytics_freshness` SET `write_id` = NULL WHERE `job` = 'rfm';
END;
--> statement-breakpoint
CREATE TRIGGER `analytics_rfm_mark_after_delete` AFTER DELETE ON `analytics_rfm`
  WHEN (SELECT `write_id` FROM `analytics_freshness` WHERE `job` = 'rfm') IS NOT NULL BEGIN
  UPDATE `analytics_freshness` SET `write_id` = NULL WHERE `job` = 'rfm';
END;
--> statement-breakpoint
CREATE TRIGGER `analytics_cohorts_mark_after_insert` AFTER INSERT ON `analytics_cohorts`
  WHEN (SELECT `write_id` FROM `analytics_freshness` WHERE `job` = 'cohorts') IS NOT NULL BEGIN
  UPDATE `analytics_freshness` SET `write_id` = NULL WHERE `job` = 'cohorts';
END;
--> statement-breakpoint
CREATE TRIGGER `analytics_cohorts_mark_after_update` AFTER UPDATE ON `analytics_cohorts`
  WHEN (SELECT `write_id` FROM `analytics_freshness` WHERE `job` = 'cohorts') IS NOT NULL BEGIN
  UPDATE `analytics_freshness` SET `write_id` = NULL WHERE `job` = 'cohorts';
END;
--> statement-breakpoint
CREATE TRIGGER `analytics_cohorts_mark_after_delete` AFTER DELETE ON `analytics_cohorts`
  WHEN (SELECT `write_id` FROM `analytics_freshness` WHERE `job` = 'cohorts') IS NOT NULL BEGIN
  UPDATE `analytics_freshness` SET `write_id` = NULL WHERE `job` = 'cohorts';
END;
--> statement-breakpoint
CREATE TRIGGER `analytics_funnel_mark_after_insert` AFTER INSERT ON `analytics_funnel`
  WHEN (SELECT `write_id` FROM `analytics_freshness` WHERE `job` = 'funnel') IS NOT NULL BEGIN
  UPDATE `analytics_freshness` SET `write_id` = NULL WHERE `job` = 'funnel';
END;
--> statement-breakpoint
CREATE TRIGGER `analytics_funnel_mark_after_update` AFTER UPDATE ON `analytics_funnel`
  WHEN (SELECT `write_id` FROM `analytics_freshness` WHERE `job` = 'funnel') IS NOT NULL BEGIN
  UPDATE `analytics_freshness` SET `write_id` = NULL WHERE `job` = 'funnel';
END;
--> statement-breakpoint
CREATE TRIGGER `analytics_funnel_mark_after_delete` AFTER DELETE ON `analytics_funnel`
  WHEN (SELECT `write_id` FROM `analytics_freshness` WHERE `job` = 'funnel') IS NOT NULL BEGIN
  UPDATE `analytics_freshness` SET `write_id` = NULL WHERE `job` = 'funnel';
END;
--> statement-breakpoint
CREATE TRIGGER `analytics_heatmap_mark_after_insert` AFTER INSERT ON `analytics_heatmap`
  WHEN (SELECT `write_id` FROM `analytics_freshness` WHERE `job` = 'heatmap') IS NOT NULL BEGIN
  UPDATE `analytics_freshness` SET `write_id` = NULL WHERE `job` = 'heatmap';
END;
--> statement-breakpoint
CREATE TRIGGER `analytics_heatmap_mark_after_update` AFTER UPDATE ON `analytics_heatmap`
  WHEN (SELECT `write_id` FROM `analytics_freshness` WHERE `job` = 'heatmap') IS NOT NULL BEGIN
  UPDATE `analytics_freshness` SET `write_id` = NULL WHERE `job` = 'heatmap';
END;
--> statement-breakpoint
CREATE TRIGGER `analytics_heatmap_mark_after_delete` AFTER DELETE ON `analytics_heatmap`
  WHEN (SELECT `write_id` FROM `analytics_freshness` WHERE `job` = 'heatmap') IS NOT NULL BEGIN
  UPDATE `analytics_freshness` SET `write_id` = NULL WHERE `job` = 'heatmap';
END;
--> statement-breakpoint
CREATE TRIGGER `analytics_churn_mark_after_insert` AFTER INSERT ON `analytics_churn`
  WHEN (SELECT `write_id` FROM `analytics_freshness` WHERE `job` = 'churn') IS NOT NULL BEGIN
  UPDATE `analytics_freshness` SET `write_id` = NULL WHERE `job` = 'churn';
END;
--> statement-breakpoint
CREATE TRIGGER `analytics_churn_mark_after_update` AFTER UPDATE ON `analytics_churn`
  WHEN (SELECT `write_id` FROM `analytics_freshness` WHERE `job` = 'churn') IS NOT NULL BEGIN
  UPDATE `analytics_freshness` SET `write_id` = NULL WHERE `job` = 'churn';
END;
--> statement-breakpoint
CREATE TRIGGER `analytics_churn_mark_after_delete` AFTER DELETE ON `analytics_churn`
  WHEN (SELECT `write_id` FROM `analytics_freshness` WHERE `job` = 'churn') IS NOT NULL BEGIN
  UPDATE `analytics_freshness` SET `write_id` = NULL WHERE `job` = 'churn';
END;
--> statement-breakpoint
CREATE TRIGGER `contacts_analytics_after_delete` AFTER DELETE ON `contacts` BEGIN
  DELETE FROM `analytics_rfm` WHERE `contact_id` = old.id;
END;
--> statement-breakpoint
CREATE TRIGGER `companies_analytics_after_delete` AFTER DELETE ON `companies` BEGIN
  DELETE FROM `analytics_churn` WHERE `company_id` = old.id;
END;
