-- Who had an interaction of some kinds since a time, answered from an index (segments' "no
-- interaction in the last N days" no longer reads the whole log).
CREATE INDEX `interactions_recent_idx` ON `interactions` (`subject_type`,`kind`,`occurred_at`,`subject_id`);
--> statement-breakpoint
-- New segments get ids from a random point per workspace, as records do (0003): a segment id
-- from another workspace is a 404, never this workspace's segment. Existing segments keep theirs.
-- Hand-written: drizzle-kit does not model data.
DELETE FROM `sqlite_sequence` WHERE `name` = 'segments';
--> statement-breakpoint
INSERT INTO `sqlite_sequence` (`name`, `seq`) SELECT 'segments', (abs(random()) % 281474976710656) + 4294967296 + ifnull((SELECT max(`id`) FROM `segments`), 0);
