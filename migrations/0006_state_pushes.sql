CREATE TABLE `state_pushes` (
	`subscription_id` text PRIMARY KEY NOT NULL,
	`mailbox_address` text NOT NULL,
	`version` integer NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`last_error` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`subscription_id`) REFERENCES `subscriptions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `state_pushes_due` ON `state_pushes` (`next_attempt_at`);