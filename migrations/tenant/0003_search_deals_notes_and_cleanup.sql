-- Full-text search over deals and notes (as for contacts and companies in 0001); what goes
-- with a deleted contact, company or deal (its notes and custom values; its tasks stay,
-- unlinked; the interaction log keeps its history); and every workspace's first pipeline.
-- Record ids start at a random point per workspace (between 2^32 and 2^48), so one
-- workspace's ids are, with overwhelming probability, not ids in another: a foreign id is a
-- 404, never someone else's record, and ids cannot be guessed by counting.
-- Hand-written: drizzle-kit does not model virtual tables, triggers or data.
CREATE TEMP TABLE `id_base` AS SELECT (abs(random()) % 281474976710656) + 4294967296 AS `base`;
--> statement-breakpoint
DELETE FROM `sqlite_sequence` WHERE `name` = 'users';
--> statement-breakpoint
INSERT INTO `sqlite_sequence` (`name`, `seq`) SELECT 'users', `base` + ifnull((SELECT max(`id`) FROM `users`), 0) FROM temp.`id_base`;
--> statement-breakpoint
DELETE FROM `sqlite_sequence` WHERE `name` = 'api_keys';
--> statement-breakpoint
INSERT INTO `sqlite_sequence` (`name`, `seq`) SELECT 'api_keys', `base` + ifnull((SELECT max(`id`) FROM `api_keys`), 0) FROM temp.`id_base`;
--> statement-breakpoint
DELETE FROM `sqlite_sequence` WHERE `name` = 'invitations';
--> statement-breakpoint
INSERT INTO `sqlite_sequence` (`name`, `seq`) SELECT 'invitations', `base` + ifnull((SELECT max(`id`) FROM `invitations`), 0) FROM temp.`id_base`;
--> statement-breakpoint
DELETE FROM `sqlite_sequence` WHERE `name` = 'tags';
--> statement-breakpoint
INSERT INTO `sqlite_sequence` (`name`, `seq`) SELECT 'tags', `base` + ifnull((SELECT max(`id`) FROM `tags`), 0) FROM temp.`id_base`;
--> statement-breakpoint
DELETE FROM `sqlite_sequence` WHERE `name` = 'companies';
--> statement-breakpoint
INSERT INTO `sqlite_sequence` (`name`, `seq`) SELECT 'companies', `base` + ifnull((SELECT max(`id`) FROM `companies`), 0) FROM temp.`id_base`;
--> statement-breakpoint
DELETE FROM `sqlite_sequence` WHERE `name` = 'contacts';
--> statement-breakpoint
INSERT INTO `sqlite_sequence` (`name`, `seq`) SELECT 'contacts', `base` + ifnull((SELECT max(`id`) FROM `contacts`), 0) FROM temp.`id_base`;
--> statement-breakpoint
DELETE FROM `sqlite_sequence` WHERE `name` = 'interactions';
--> statement-breakpoint
INSERT INTO `sqlite_sequence` (`name`, `seq`) SELECT 'interactions', `base` + ifnull((SELECT max(`id`) FROM `interactions`), 0) FROM temp.`id_base`;
--> statement-breakpoint
DELETE FROM `sqlite_sequence` WHERE `name` = 'pipelines';
--> statement-breakpoint
INSERT INTO `sqlite_sequence` (`name`, `seq`) SELECT 'pipelines', `base` + ifnull((SELECT max(`id`) FROM `pipelines`), 0) FROM temp.`id_base`;
--> statement-breakpoint
DELETE FROM `sqlite_sequence` WHERE `name` = 'stages';
--> statement-breakpoint
INSERT INTO `sqlite_sequence` (`name`, `seq`) SELECT 'stages', `base` + ifnull((SELECT max(`id`) FROM `stages`), 0) FROM temp.`id_base`;
--> statement-breakpoint
DELETE FROM `sqlite_sequence` WHERE `name` = 'deals';
--> statement-breakpoint
INSERT INTO `sqlite_sequence` (`name`, `seq`) SELECT 'deals', `base` + ifnull((SELECT max(`id`) FROM `deals`), 0) FROM temp.`id_base`;
--> statement-breakpoint
DELETE FROM `sqlite_sequence` WHERE `name` = 'tasks';
--> statement-breakpoint
INSERT INTO `sqlite_sequence` (`name`, `seq`) SELECT 'tasks', `base` + ifnull((SELECT max(`id`) FROM `tasks`), 0) FROM temp.`id_base`;
--> statement-breakpoint
DELETE FROM `sqlite_sequence` WHERE `name` = 'notes';
--> statement-breakpoint
INSERT INTO `sqlite_sequence` (`name`, `seq`) SELECT 'notes', `base` + ifnull((SELECT max(`id`) FROM `notes`), 0) FROM temp.`id_base`;
--> statement-breakpoint
DELETE FROM `sqlite_sequence` WHERE `name` = 'custom_fields';
--> statement-breakpoint
INSERT INTO `sqlite_sequence` (`name`, `seq`) SELECT 'custom_fields', `base` + ifnull((SELECT max(`id`) FROM `custom_fields`), 0) FROM temp.`id_base`;
--> statement-breakpoint
DELETE FROM `sqlite_sequence` WHERE `name` = 'saved_views';
--> statement-breakpoint
INSERT INTO `sqlite_sequence` (`name`, `seq`) SELECT 'saved_views', `base` + ifnull((SELECT max(`id`) FROM `saved_views`), 0) FROM temp.`id_base`;
--> statement-breakpoint
DROP TABLE temp.`id_base`;
--> statement-breakpoint
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
