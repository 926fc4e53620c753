CREATE TABLE `import_rows` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`import_id` integer NOT NULL,
	`subject_type` text NOT NULL,
	`subject_id` integer NOT NULL,
	`action` text NOT NULL,
	`before` text,
	`after` text,
	`row` integer,
	FOREIGN KEY (`import_id`) REFERENCES `imports`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "import_rows_action_check" CHECK("import_rows"."action" in ('created', 'updated'))
);
--> statement-breakpoint
CREATE INDEX `import_rows_import_idx` ON `import_rows` (`import_id`,`id`);--> statement-breakpoint
CREATE TABLE `imports` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`status` text NOT NULL,
	`file_name` text NOT NULL,
	`stored_file` text,
	`size_bytes` integer NOT NULL,
	`encoding` text NOT NULL,
	`delimiter` text NOT NULL,
	`columns` text NOT NULL,
	`sample` text NOT NULL,
	`mapping` text,
	`checked` text,
	`outcome` text,
	`report_file` text,
	`task_id` integer,
	`created_by` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "imports_status_check" CHECK("imports"."status" in ('uploaded', 'checked', 'running', 'done', 'failed', 'cancelled', 'undone'))
);
--> statement-breakpoint
CREATE INDEX `imports_created_idx` ON `imports` (`created_at`,`id`);