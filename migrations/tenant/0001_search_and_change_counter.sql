-- Full-text search over contacts and companies (FTS5, external content kept in sync by
-- triggers), and the per-shard change counter that caches and ETags key on.
-- Hand-written: drizzle-kit does not model virtual tables or triggers.
CREATE VIRTUAL TABLE `contacts_fts` USING fts5(first_name, last_name, email, title, content='contacts', content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3');
--> statement-breakpoint
CREATE TRIGGER `contacts_fts_after_insert` AFTER INSERT ON `contacts` BEGIN
  INSERT INTO `contacts_fts`(rowid, first_name, last_name, email, title) VALUES (new.id, new.first_name, new.last_name, new.email, new.title);
END;
--> statement-breakpoint
CREATE TRIGGER `contacts_fts_after_delete` AFTER DELETE ON `contacts` BEGIN
  INSERT INTO `contacts_fts`(`contacts_fts`, rowid, first_name, last_name, email, title) VALUES ('delete', old.id, old.first_name, old.last_name, old.email, old.title);
END;
--> statement-breakpoint
CREATE TRIGGER `contacts_fts_after_update` AFTER UPDATE OF first_name, last_name, email, title ON `contacts` BEGIN
  INSERT INTO `contacts_fts`(`contacts_fts`, rowid, first_name, last_name, email, title) VALUES ('delete', old.id, old.first_name, old.last_name, old.email, old.title);
  INSERT INTO `contacts_fts`(rowid, first_name, last_name, email, title) VALUES (new.id, new.first_name, new.last_name, new.email, new.title);
END;
--> statement-breakpoint
INSERT INTO `contacts_fts`(`contacts_fts`) VALUES ('rebuild');
--> statement-breakpoint
CREATE VIRTUAL TABLE `companies_fts` USING fts5(name, domain, city, country, content='companies', content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3');
--> statement-breakpoint
CREATE TRIGGER `companies_fts_after_insert` AFTER INSERT ON `companies` BEGIN
  INSERT INTO `companies_fts`(rowid, name, domain, city, country) VALUES (new.id, new.name, new.domain, new.city, new.country);
END;
--> statement-breakpoint
CREATE TRIGGER `companies_fts_after_delete` AFTER DELETE ON `companies` BEGIN
  INSERT INTO `companies_fts`(`companies_fts`, rowid, name, domain, city, country) VALUES ('delete', old.id, old.name, old.domain, old.city, old.country);
END;
--> statement-breakpoint
CREATE TRIGGER `companies_fts_after_update` AFTER UPDATE OF name, domain, city, country ON `companies` BEGIN
  INSERT INTO `companies_fts`(`companies_fts`, rowid, name, domain, city, country) VALUES ('delete', old.id, old.name, old.domain, old.city, old.country);
  INSERT INTO `companies_fts`(rowid, name, domain, city, country) VALUES (new.id, new.name, new.domain, new.city, new.country);
END;
--> statement-breakpoint
INSERT INTO `companies_fts`(`companies_fts`) VALUES ('rebuild');
--> statement-breakpoint
CREATE TRIGGER `contacts_change_after_insert` AFTER INSERT ON `contacts` BEGIN
  UPDATE `shard_state` SET `change_counter` = `change_counter` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `contacts_change_after_update` AFTER UPDATE ON `contacts` BEGIN
  UPDATE `shard_state` SET `change_counter` = `change_counter` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `contacts_change_after_delete` AFTER DELETE ON `contacts` BEGIN
  UPDATE `shard_state` SET `change_counter` = `change_counter` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `companies_change_after_insert` AFTER INSERT ON `companies` BEGIN
  UPDATE `shard_state` SET `change_counter` = `change_counter` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `companies_change_after_update` AFTER UPDATE ON `companies` BEGIN
  UPDATE `shard_state` SET `change_counter` = `change_counter` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `companies_change_after_delete` AFTER DELETE ON `companies` BEGIN
  UPDATE `shard_state` SET `change_counter` = `change_counter` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `contact_tags_change_after_insert` AFTER INSERT ON `contact_tags` BEGIN
  UPDATE `shard_state` SET `change_counter` = `change_counter` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `contact_tags_change_after_update` AFTER UPDATE ON `contact_tags` BEGIN
  UPDATE `shard_state` SET `change_counter` = `change_counter` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `contact_tags_change_after_delete` AFTER DELETE ON `contact_tags` BEGIN
  UPDATE `shard_state` SET `change_counter` = `change_counter` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `company_tags_change_after_insert` AFTER INSERT ON `company_tags` BEGIN
  UPDATE `shard_state` SET `change_counter` = `change_counter` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `company_tags_change_after_update` AFTER UPDATE ON `company_tags` BEGIN
  UPDATE `shard_state` SET `change_counter` = `change_counter` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `company_tags_change_after_delete` AFTER DELETE ON `company_tags` BEGIN
  UPDATE `shard_state` SET `change_counter` = `change_counter` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `tags_change_after_insert` AFTER INSERT ON `tags` BEGIN
  UPDATE `shard_state` SET `change_counter` = `change_counter` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `tags_change_after_update` AFTER UPDATE ON `tags` BEGIN
  UPDATE `shard_state` SET `change_counter` = `change_counter` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `tags_change_after_delete` AFTER DELETE ON `tags` BEGIN
  UPDATE `shard_state` SET `change_counter` = `change_counter` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `users_change_after_insert` AFTER INSERT ON `users` BEGIN
  UPDATE `shard_state` SET `change_counter` = `change_counter` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `users_change_after_update` AFTER UPDATE ON `users` BEGIN
  UPDATE `shard_state` SET `change_counter` = `change_counter` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `users_change_after_delete` AFTER DELETE ON `users` BEGIN
  UPDATE `shard_state` SET `change_counter` = `change_counter` + 1 WHERE `id` = 1;
END;
