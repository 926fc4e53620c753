-- The analytics export's marks (jobs/export, docs/decisions/0008): per table a dimension snapshot
-- of the warehouse reads, a random mark that every change of a column the snapshot holds replaces,
-- in the same transaction. The export retakes a workspace's snapshot of a table only when its mark
-- moved; a mark is never reused (a file put back from a backup holds its own). Hand-written:
-- drizzle-kit cannot express triggers. A migration that rebuilds one of these tables drops its
-- triggers: create them again (test/schema-upgrade.test.ts lists them; the export checks they are
-- all there and, when one is missing, retakes every snapshot whenever the file changed).
CREATE TABLE `export_marks` (
	`name` text PRIMARY KEY NOT NULL,
	`mark` text NOT NULL
);
--> statement-breakpoint
INSERT INTO `export_marks` (`name`, `mark`) VALUES ('contacts', lower(hex(randomblob(8)))), ('companies', lower(hex(randomblob(8)))), ('deals', lower(hex(randomblob(8)))), ('deal_contacts', lower(hex(randomblob(8)))), ('stages', lower(hex(randomblob(8)))), ('pipelines', lower(hex(randomblob(8)))), ('users', lower(hex(randomblob(8)))), ('workspace_settings', lower(hex(randomblob(8))));
--> statement-breakpoint
CREATE TRIGGER `contacts_export_mark_after_insert` AFTER INSERT ON `contacts` BEGIN
  UPDATE `export_marks` SET `mark` = lower(hex(randomblob(8))) WHERE `name` = 'contacts';
END;
--> statement-breakpoint
CREATE TRIGGER `contacts_export_mark_after_delete` AFTER DELETE ON `contacts` BEGIN
  UPDATE `export_marks` SET `mark` = lower(hex(randomblob(8))) WHERE `name` = 'contacts';
END;
--> statement-breakpoint
CREATE TRIGGER `contacts_export_mark_after_update` AFTER UPDATE OF `id`, `company_id`, `owner_id`, `email`, `created_at`, `updated_at` ON `contacts` BEGIN
  UPDATE `export_marks` SET `mark` = lower(hex(randomblob(8))) WHERE `name` = 'contacts';
END;
--> statement-breakpoint
CREATE TRIGGER `companies_export_mark_after_insert` AFTER INSERT ON `companies` BEGIN
  UPDATE `export_marks` SET `mark` = lower(hex(randomblob(8))) WHERE `name` = 'companies';
END;
--> statement-breakpoint
CREATE TRIGGER `companies_export_mark_after_delete` AFTER DELETE ON `companies` BEGIN
  UPDATE `export_marks` SET `mark` = lower(hex(randomblob(8))) WHERE `name` = 'companies';
END;
--> statement-breakpoint
CREATE TRIGGER `companies_export_mark_after_update` AFTER UPDATE OF `id`, `owner_id`, `created_at`, `updated_at` ON `companies` BEGIN
  UPDATE `export_marks` SET `mark` = lower(hex(randomblob(8))) WHERE `name` = 'companies';
END;
--> statement-breakpoint
CREATE TRIGGER `deals_export_mark_after_insert` AFTER INSERT ON `deals` BEGIN
  UPDATE `export_marks` SET `mark` = lower(hex(randomblob(8))) WHERE `name` = 'deals';
END;
--> statement-breakpoint
CREATE TRIGGER `deals_export_mark_after_delete` AFTER DELETE ON `deals` BEGIN
  UPDATE `export_marks` SET `mark` = lower(hex(randomblob(8))) WHERE `name` = 'deals';
END;
--> statement-breakpoint
CREATE TRIGGER `deals_export_mark_after_update` AFTER UPDATE OF `id`, `pipeline_id`, `stage_id`, `company_id`, `owner_id`, `status`, `amount_cents`, `currency`, `created_at`, `closed_at`, `stage_entered_at` ON `deals` BEGIN
  UPDATE `export_marks` SET `mark` = lower(hex(randomblob(8))) WHERE `name` = 'deals';
END;
--> statement-breakpoint
CREATE TRIGGER `deal_contacts_export_mark_after_insert` AFTER INSERT ON `deal_contacts` BEGIN
  UPDATE `export_marks` SET `mark` = lower(hex(randomblob(8))) WHERE `name` = 'deal_contacts';
END;
--> statement-breakpoint
CREATE TRIGGER `deal_contacts_export_mark_after_delete` AFTER DELETE ON `deal_contacts` BEGIN
  UPDATE `export_marks` SET `mark` = lower(hex(randomblob(8))) WHERE `name` = 'deal_contacts';
END;
--> statement-breakpoint
CREATE TRIGGER `deal_contacts_export_mark_after_update` AFTER UPDATE OF `deal_id`, `contact_id` ON `deal_contacts` BEGIN
  UPDATE `export_marks` SET `mark` = lower(hex(randomblob(8))) WHERE `name` = 'deal_contacts';
END;
--> statement-breakpoint
CREATE TRIGGER `stages_export_mark_after_insert` AFTER INSERT ON `stages` BEGIN
  UPDATE `export_marks` SET `mark` = lower(hex(randomblob(8))) WHERE `name` = 'stages';
END;
--> statement-breakpoint
CREATE TRIGGER `stages_export_mark_after_delete` AFTER DELETE ON `stages` BEGIN
  UPDATE `export_marks` SET `mark` = lower(hex(randomblob(8))) WHERE `name` = 'stages';
END;
--> statement-breakpoint
CREATE TRIGGER `stages_export_mark_after_update` AFTER UPDATE OF `id`, `pipeline_id`, `name`, `position`, `kind`, `probability` ON `stages` BEGIN
  UPDATE `export_marks` SET `mark` = lower(hex(randomblob(8))) WHERE `name` = 'stages';
END;
--> statement-breakpoint
CREATE TRIGGER `pipelines_export_mark_after_insert` AFTER INSERT ON `pipelines` BEGIN
  UPDATE `export_marks` SET `mark` = lower(hex(randomblob(8))) WHERE `name` = 'pipelines';
END;
--> statement-breakpoint
CREATE TRIGGER `pipelines_export_mark_after_delete` AFTER DELETE ON `pipelines` BEGIN
  UPDATE `export_marks` SET `mark` = lower(hex(randomblob(8))) WHERE `name` = 'pipelines';
END;
--> statement-breakpoint
CREATE TRIGGER `pipelines_export_mark_after_update` AFTER UPDATE OF `id`, `name`, `position` ON `pipelines` BEGIN
  UPDATE `export_marks` SET `mark` = lower(hex(randomblob(8))) WHERE `name` = 'pipelines';
END;
--> statement-breakpoint
CREATE TRIGGER `users_export_mark_after_insert` AFTER INSERT ON `users` BEGIN
  UPDATE `export_marks` SET `mark` = lower(hex(randomblob(8))) WHERE `name` = 'users';
END;
--> statement-breakpoint
CREATE TRIGGER `users_export_mark_after_delete` AFTER DELETE ON `users` BEGIN
  UPDATE `export_marks` SET `mark` = lower(hex(randomblob(8))) WHERE `name` = 'users';
END;
--> statement-breakpoint
CREATE TRIGGER `users_export_mark_after_update` AFTER UPDATE OF `id`, `role`, `created_at` ON `users` BEGIN
  UPDATE `export_marks` SET `mark` = lower(hex(randomblob(8))) WHERE `name` = 'users';
END;
--> statement-breakpoint
CREATE TRIGGER `workspace_settings_export_mark_after_insert` AFTER INSERT ON `workspace_settings` BEGIN
  UPDATE `export_marks` SET `mark` = lower(hex(randomblob(8))) WHERE `name` = 'workspace_settings';
END;
--> statement-breakpoint
CREATE TRIGGER `workspace_settings_export_mark_after_delete` AFTER DELETE ON `workspace_settings` BEGIN
  UPDATE `export_marks` SET `mark` = lower(hex(randomblob(8))) WHERE `name` = 'workspace_settings';
END;
--> statement-breakpoint
CREATE TRIGGER `workspace_settings_export_mark_after_update` AFTER UPDATE OF `key`, `value` ON `workspace_settings` BEGIN
  UPDATE `export_marks` SET `mark` = lower(hex(randomblob(8))) WHERE `name` = 'workspace_settings';
END;
