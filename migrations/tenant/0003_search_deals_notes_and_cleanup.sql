-- Full-text search over deals and notes (as for contacts and companies in 0001); what goes
-- with a deleted contact, company or deal (its notes and custom values; its tasks stay,
-- unlinked; the interaction log keeps its history); and every workspace's first pipeline.
-- Hand-written: drizzle-kit does not model virtual tables, triggers or data.
CREATE VIRTUAL TABLE `deals_fts` USING fts5(title, content='deals', content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3');
--> statement-breakpoint
CREATE TRIGGER `deals_fts_after_insert` AFTER INSERT ON `deals` WHEN (SELECT `search_index_deferred` FROM `shard_state` WHERE `id` = 1) = 0 BEGIN
  INSERT INTO `deals_fts`(rowid, title) VALUES (new.id, new.title);
END;
--> statement-breakpoint
CREATE TRIGGER `deals_fts_after_delete` AFTER DELETE ON `deals` WHEN (SELECT `search_index_deferred` FROM `shard_state` WHERE `id` = 1) = 0 BEGIN
  INSERT INTO `deals_fts`(`deals_fts`, rowid, title) VALUES ('delete', old.id, old.title);
END;
--> statement-breakpoint
CREATE TRIGGER `deals_fts_after_update` AFTER UPDATE OF title ON `deals` WHEN (SELECT `search_index_deferred` FROM `shard_state` WHERE `id` = 1) = 0 BEGIN
  INSERT INTO `deals_fts`(`deals_fts`, rowid, title) VALUES ('delete', old.id, old.title);
  INSERT INTO `deals_fts`(rowid, title) VALUES (new.id, new.title);
END;
--> statement-breakpoint
INSERT INTO `deals_fts`(`deals_fts`) VALUES ('rebuild');
--> statement-breakpoint
CREATE VIRTUAL TABLE `notes_fts` USING fts5(body, content='notes', content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3');
--> statement-breakpoint
CREATE TRIGGER `notes_fts_after_insert` AFTER INSERT ON `notes` WHEN (SELECT `search_index_deferred` FROM `shard_state` WHERE `id` = 1) = 0 BEGIN
  INSERT INTO `notes_fts`(rowid, body) VALUES (new.id, new.body);
END;
--> statement-breakpoint
CREATE TRIGGER `notes_fts_after_delete` AFTER DELETE ON `notes` WHEN (SELECT `search_index_deferred` FROM `shard_state` WHERE `id` = 1) = 0 BEGIN
  INSERT INTO `notes_fts`(`notes_fts`, rowid, body) VALUES ('delete', old.id, old.body);
END;
--> statement-breakpoint
CREATE TRIGGER `notes_fts_after_update` AFTER UPDATE OF body ON `notes` WHEN (SELECT `search_index_deferred` FROM `shard_state` WHERE `id` = 1) = 0 BEGIN
  INSERT INTO `notes_fts`(`notes_fts`, rowid, body) VALUES ('delete', old.id, old.body);
  INSERT INTO `notes_fts`(rowid, body) VALUES (new.id, new.body);
END;
--> statement-breakpoint
INSERT INTO `notes_fts`(`notes_fts`) VALUES ('rebuild');
--> statement-breakpoint
CREATE TRIGGER `contacts_after_delete_cleanup` AFTER DELETE ON `contacts` BEGIN
  DELETE FROM `notes` WHERE `subject_type` = 'contact' AND `subject_id` = old.id;
  UPDATE `tasks` SET `subject_type` = NULL, `subject_id` = NULL WHERE `subject_type` = 'contact' AND `subject_id` = old.id;
  DELETE FROM `custom_values` WHERE `record_id` = old.id AND `field_id` IN (SELECT `id` FROM `custom_fields` WHERE `entity` = 'contact');
END;
--> statement-breakpoint
CREATE TRIGGER `companies_after_delete_cleanup` AFTER DELETE ON `companies` BEGIN
  DELETE FROM `notes` WHERE `subject_type` = 'company' AND `subject_id` = old.id;
  UPDATE `tasks` SET `subject_type` = NULL, `subject_id` = NULL WHERE `subject_type` = 'company' AND `subject_id` = old.id;
  DELETE FROM `custom_values` WHERE `record_id` = old.id AND `field_id` IN (SELECT `id` FROM `custom_fields` WHERE `entity` = 'company');
END;
--> statement-breakpoint
CREATE TRIGGER `deals_after_delete_cleanup` AFTER DELETE ON `deals` BEGIN
  DELETE FROM `notes` WHERE `subject_type` = 'deal' AND `subject_id` = old.id;
  UPDATE `tasks` SET `subject_type` = NULL, `subject_id` = NULL WHERE `subject_type` = 'deal' AND `subject_id` = old.id;
  DELETE FROM `custom_values` WHERE `record_id` = old.id AND `field_id` IN (SELECT `id` FROM `custom_fields` WHERE `entity` = 'deal');
END;
--> statement-breakpoint
INSERT INTO `pipelines` (`name`, `position`, `created_at`, `updated_at`) VALUES ('Sales', 0, CAST(unixepoch('subsec') * 1000 AS INTEGER), CAST(unixepoch('subsec') * 1000 AS INTEGER));
--> statement-breakpoint
INSERT INTO `stages` (`pipeline_id`, `name`, `position`, `probability`, `kind`, `created_at`) SELECT `id`, 'Lead', 0, 10, 'open', CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM `pipelines` WHERE `name` = 'Sales';
--> statement-breakpoint
INSERT INTO `stages` (`pipeline_id`, `name`, `position`, `probability`, `kind`, `created_at`) SELECT `id`, 'Qualified', 1, 25, 'open', CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM `pipelines` WHERE `name` = 'Sales';
--> statement-breakpoint
INSERT INTO `stages` (`pipeline_id`, `name`, `position`, `probability`, `kind`, `created_at`) SELECT `id`, 'Proposal', 2, 50, 'open', CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM `pipelines` WHERE `name` = 'Sales';
--> statement-breakpoint
INSERT INTO `stages` (`pipeline_id`, `name`, `position`, `probability`, `kind`, `created_at`) SELECT `id`, 'Negotiation', 3, 75, 'open', CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM `pipelines` WHERE `name` = 'Sales';
--> statement-breakpoint
INSERT INTO `stages` (`pipeline_id`, `name`, `position`, `probability`, `kind`, `created_at`) SELECT `id`, 'Won', 4, 100, 'won', CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM `pipelines` WHERE `name` = 'Sales';
--> statement-breakpoint
INSERT INTO `stages` (`pipeline_id`, `name`, `position`, `probability`, `kind`, `created_at`) SELECT `id`, 'Lost', 5, 0, 'lost', CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM `pipelines` WHERE `name` = 'Sales';
--> statement-breakpoint
INSERT INTO `workspace_settings` (`key`, `value`) VALUES ('currency', 'USD');
