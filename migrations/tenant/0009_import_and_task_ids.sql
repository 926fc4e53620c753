-- New imports and background tasks get ids from a random point per workspace, as records (0003)
-- and segments (0008) do: another workspace's import or task id is a 404, never this
-- workspace's import or task. Existing ones keep theirs. Hand-written: drizzle-kit does not model data.
DELETE FROM `sqlite_sequence` WHERE `name` IN ('imports', 'background_tasks');
--> statement-breakpoint
INSERT INTO `sqlite_sequence` (`name`, `seq`) SELECT 'imports', (abs(random()) % 281474976710656) + 4294967296 + ifnull((SELECT max(`id`) FROM `imports`), 0);
--> statement-breakpoint
INSERT INTO `sqlite_sequence` (`name`, `seq`) SELECT 'background_tasks', (abs(random()) % 281474976710656) + 4294967296 + ifnull((SELECT max(`id`) FROM `background_tasks`), 0);
