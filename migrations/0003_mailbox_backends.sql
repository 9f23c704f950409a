CREATE TABLE `mailbox_backends` (
	`address` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`imap_host` text NOT NULL,
	`imap_port` integer NOT NULL,
	`imap_tls` text NOT NULL,
	`smtp_host` text NOT NULL,
	`smtp_port` integer NOT NULL,
	`smtp_tls` text NOT NULL,
	`smtp_auth` text DEFAULT 'account' NOT NULL,
	`dav_url` text,
	`push` text DEFAULT 'poll' NOT NULL,
	`failed_attempts` integer DEFAULT 0 NOT NULL,
	`locked_until` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`address`) REFERENCES `mailboxes`(`address`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `mailbox_backends_imap_host` ON `mailbox_backends` (`imap_host`);