CREATE TABLE `chunks` (
	`session_id` text NOT NULL,
	`track` integer NOT NULL,
	`seq` integer NOT NULL,
	`size` integer NOT NULL,
	`sha256` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`session_id`, `track`, `seq`),
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `session_files` (
	`session_id` text NOT NULL,
	`track` integer NOT NULL,
	`size_bytes` integer NOT NULL,
	`sha256` text NOT NULL,
	`duration_seconds` real NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`session_id`, `track`),
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `tracks` (
	`session_id` text NOT NULL,
	`track` integer NOT NULL,
	`label` text NOT NULL,
	`sample_rate` integer NOT NULL,
	`channels` integer NOT NULL,
	`chunk_count` integer DEFAULT 0 NOT NULL,
	`bytes` integer DEFAULT 0 NOT NULL,
	`highest_seq` integer DEFAULT -1 NOT NULL,
	`committed_through` integer DEFAULT -1 NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`session_id`, `track`),
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `recovery_tokens` ADD `track` integer DEFAULT 0 NOT NULL;