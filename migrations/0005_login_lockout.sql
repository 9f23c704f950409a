CREATE TABLE `login_client_failures` (
	`client` text PRIMARY KEY NOT NULL,
	`failures` integer NOT NULL,
	`window_start` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `accounts` ADD `last_failure_at` integer;--> statement-breakpoint
ALTER TABLE `mailbox_backends` ADD `last_failure_at` integer;