CREATE TABLE `contact_engagement` (
	`contact_id` integer NOT NULL,
	`kind` text NOT NULL,
	`count` integer NOT NULL,
	`first_at` integer NOT NULL,
	`last_at` integer NOT NULL,
	`last_payload` text DEFAULT '{}' NOT NULL,
	PRIMARY KEY(`contact_id`, `kind`)
);
--> statement-breakpoint
CREATE INDEX `contact_engagement_recent_idx` ON `contact_engagement` (`kind`,`last_at`,`contact_id`);--> statement-breakpoint
CREATE TABLE `events` (
	`id` integer PRIMARY KEY NOT NULL,
	`occurred_at` integer NOT NULL,
	`actor_type` text NOT NULL,
	`actor_id` integer,
	`kind` text NOT NULL,
	`contact_id` integer NOT NULL,
	`payload` text DEFAULT '{}' NOT NULL
);
--> statement-breakpoint
INSERT INTO `events` (`id`, `occurred_at`, `actor_type`, `actor_id`, `kind`, `contact_id`, `payload`)
  SELECT `id`, `occurred_at`, `actor_type`, `actor_id`, `kind`, `subject_id`, `payload` FROM `interactions`
  WHERE `subject_type` = 'contact' AND `kind` IN ('web.visit', 'email.opened', 'email.clicked', 'form.submitted')
    AND `subject_id` NOT IN (SELECT `subject_id` FROM `interactions` WHERE `subject_type` = 'contact' AND `kind` = 'contact.erased');
--> statement-breakpoint
DELETE FROM `interactions`
  WHERE `subject_type` = 'contact' AND `kind` IN ('web.visit', 'email.opened', 'email.clicked', 'form.submitted');
--> statement-breakpoint
INSERT INTO `contact_engagement` (`contact_id`, `kind`, `count`, `first_at`, `last_at`, `last_payload`)
  SELECT `contact_id`, `kind`, `n`, `first_at`, `last_at`, `payload` FROM (
    SELECT `contact_id`, `kind`, `payload`,
      count(*) OVER `per` AS `n`, min(`occurred_at`) OVER `per` AS `first_at`, max(`occurred_at`) OVER `per` AS `last_at`,
      row_number() OVER (PARTITION BY `contact_id`, `kind` ORDER BY `occurred_at` DESC, `id` DESC) AS `latest`
    FROM `events` WINDOW `per` AS (PARTITION BY `contact_id`, `kind`)
  ) `e`
  WHERE `latest` = 1 AND EXISTS (SELECT 1 FROM `contacts` `c` WHERE `c`.`id` = `e`.`contact_id`);
