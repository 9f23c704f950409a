CREATE TABLE `gal_entries` (
	`address` text PRIMARY KEY NOT NULL,
	`domain` text NOT NULL,
	`display_name` text,
	`first_name` text,
	`last_name` text,
	`phone` text,
	`mobile_phone` text,
	`home_phone` text,
	`title` text,
	`company` text,
	`office` text,
	`aliases` text DEFAULT '[]' NOT NULL,
	`photo` text,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `gal_entries_domain` ON `gal_entries` (`domain`);