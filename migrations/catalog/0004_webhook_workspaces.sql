CREATE TABLE `webhook_workspaces` (
	`tenant_id` text PRIMARY KEY NOT NULL
);
