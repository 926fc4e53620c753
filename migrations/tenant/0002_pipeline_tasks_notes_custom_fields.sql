CREATE TABLE `custom_fields` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`entity` text NOT NULL,
	`key` text NOT NULL,
	`label` text NOT NULL,
	`type` text NOT NULL,
	`options` text DEFAULT '[]' NOT NULL,
	`position` integer NOT NULL,
	`created_at` integer NOT NULL,
	CONSTRAINT "custom_fields_entity_check" CHECK("custom_fields"."entity" in ('contact', 'company', 'deal')),
	CONSTRAINT "custom_fields_type_check" CHECK("custom_fields"."type" in ('text', 'number', 'date', 'select', 'multiselect', 'checkbox'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `custom_fields_key_unique` ON `custom_fields` (`entity`,`key`);--> statement-breakpoint
CREATE TABLE `custom_values` (
	`field_id` integer NOT NULL,
	`record_id` integer NOT NULL,
	`text_value` text,
	`num_value` real,
	PRIMARY KEY(`field_id`, `record_id`),
	FOREIGN KEY (`field_id`) REFERENCES `custom_fields`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `custom_values_num_idx` ON `custom_values` (`field_id`,`num_value`,`record_id`);--> statement-breakpoint
CREATE INDEX `custom_values_text_idx` ON `custom_values` (`field_id`,`text_value`,`record_id`);--> statement-breakpoint
CREATE TABLE `deal_contacts` (
	`deal_id` integer NOT NULL,
	`contact_id` integer NOT NULL,
	PRIMARY KEY(`deal_id`, `contact_id`),
	FOREIGN KEY (`deal_id`) REFERENCES `deals`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`contact_id`) REFERENCES `contacts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `deal_contacts_contact_idx` ON `deal_contacts` (`contact_id`,`deal_id`);--> statement-breakpoint
CREATE TABLE `deal_tags` (
	`deal_id` integer NOT NULL,
	`tag_id` integer NOT NULL,
	PRIMARY KEY(`deal_id`, `tag_id`),
	FOREIGN KEY (`deal_id`) REFERENCES `deals`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`tag_id`) REFERENCES `tags`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `deal_tags_tag_idx` ON `deal_tags` (`tag_id`,`deal_id`);--> statement-breakpoint
CREATE TABLE `deals` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`title` text NOT NULL,
	`amount_cents` integer DEFAULT 0 NOT NULL,
	`currency` text NOT NULL,
	`expected_close_on` text,
	`pipeline_id` integer NOT NULL,
	`stage_id` integer NOT NULL,
	`company_id` integer,
	`owner_id` integer,
	`status` text NOT NULL,
	`lost_reason` text,
	`closed_at` integer,
	`tags` text DEFAULT '' NOT NULL,
	`stage_entered_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`pipeline_id`) REFERENCES `pipelines`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`stage_id`) REFERENCES `stages`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`company_id`) REFERENCES `companies`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`owner_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "deals_status_check" CHECK("deals"."status" in ('open', 'won', 'lost'))
);
--> statement-breakpoint
CREATE INDEX `deals_stage_idx` ON `deals` (`stage_id`,`stage_entered_at`,`id`);--> statement-breakpoint
CREATE INDEX `deals_stage_sum_idx` ON `deals` (`stage_id`,`currency`,`amount_cents`);--> statement-breakpoint
CREATE INDEX `deals_created_idx` ON `deals` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `deals_updated_idx` ON `deals` (`updated_at`,`id`);--> statement-breakpoint
CREATE INDEX `deals_title_idx` ON `deals` (`title`,`id`);--> statement-breakpoint
CREATE INDEX `deals_amount_idx` ON `deals` (`amount_cents`,`id`);--> statement-breakpoint
CREATE INDEX `deals_company_idx` ON `deals` (`company_id`);--> statement-breakpoint
CREATE INDEX `deals_owner_idx` ON `deals` (`owner_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `deals_pipeline_idx` ON `deals` (`pipeline_id`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `pipelines` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`position` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `pipelines_name_unique` ON `pipelines` (`name`);--> statement-breakpoint
CREATE TABLE `stages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`pipeline_id` integer NOT NULL,
	`name` text NOT NULL,
	`position` integer NOT NULL,
	`probability` integer NOT NULL,
	`kind` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`pipeline_id`) REFERENCES `pipelines`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "stages_kind_check" CHECK("stages"."kind" in ('open', 'won', 'lost')),
	CONSTRAINT "stages_probability_check" CHECK("stages"."probability" between 0 and 100)
);
--> statement-breakpoint
CREATE INDEX `stages_pipeline_idx` ON `stages` (`pipeline_id`,`position`);--> statement-breakpoint
CREATE TABLE `notes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`body` text NOT NULL,
	`subject_type` text NOT NULL,
	`subject_id` integer NOT NULL,
	`author_id` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `notes_subject_idx` ON `notes` (`subject_type`,`subject_id`,`id`);--> statement-breakpoint
CREATE TABLE `saved_views` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`owner_id` integer NOT NULL,
	`entity` text NOT NULL,
	`name` text NOT NULL,
	`query` text NOT NULL,
	`columns` text NOT NULL,
	`shared` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`owner_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `saved_views_entity_idx` ON `saved_views` (`entity`,`owner_id`);--> statement-breakpoint
CREATE TABLE `workspace_settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `tasks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`title` text NOT NULL,
	`due_at` integer,
	`assignee_id` integer,
	`subject_type` text,
	`subject_id` integer,
	`completed_at` integer,
	`completed_by` integer,
	`created_by` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`assignee_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `tasks_assignee_idx` ON `tasks` (`assignee_id`,`completed_at`,`due_at`);--> statement-breakpoint
CREATE INDEX `tasks_subject_idx` ON `tasks` (`subject_type`,`subject_id`);