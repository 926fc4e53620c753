CREATE TABLE `stage_totals` (
	`stage_id` integer NOT NULL,
	`currency` text NOT NULL,
	`deals` integer NOT NULL,
	`amount_cents` integer NOT NULL,
	PRIMARY KEY(`stage_id`, `currency`),
	FOREIGN KEY (`stage_id`) REFERENCES `stages`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
DROP INDEX `deals_stage_sum_idx`;--> statement-breakpoint
INSERT INTO `stage_totals` (`stage_id`, `currency`, `deals`, `amount_cents`)
  SELECT `stage_id`, `currency`, count(*), sum(`amount_cents`) FROM `deals` GROUP BY `stage_id`, `currency`;
--> statement-breakpoint
CREATE TRIGGER `deals_totals_after_insert` AFTER INSERT ON `deals` BEGIN
  INSERT INTO `stage_totals` (`stage_id`, `currency`, `deals`, `amount_cents`) VALUES (new.stage_id, new.currency, 1, new.amount_cents)
    ON CONFLICT (`stage_id`, `currency`) DO UPDATE SET `deals` = `deals` + 1, `amount_cents` = `amount_cents` + excluded.amount_cents;
END;
--> statement-breakpoint
CREATE TRIGGER `deals_totals_after_delete` AFTER DELETE ON `deals` BEGIN
  UPDATE `stage_totals` SET `deals` = `deals` - 1, `amount_cents` = `amount_cents` - old.amount_cents
    WHERE `stage_id` = old.stage_id AND `currency` = old.currency;
  DELETE FROM `stage_totals` WHERE `stage_id` = old.stage_id AND `currency` = old.currency AND `deals` = 0;
END;
--> statement-breakpoint
CREATE TRIGGER `deals_totals_after_update` AFTER UPDATE OF `stage_id`, `currency`, `amount_cents` ON `deals` BEGIN
  UPDATE `stage_totals` SET `deals` = `deals` - 1, `amount_cents` = `amount_cents` - old.amount_cents
    WHERE `stage_id` = old.stage_id AND `currency` = old.currency;
  DELETE FROM `stage_totals` WHERE `stage_id` = old.stage_id AND `currency` = old.currency AND `deals` = 0;
  INSERT INTO `stage_totals` (`stage_id`, `currency`, `deals`, `amount_cents`) VALUES (new.stage_id, new.currency, 1, new.amount_cents)
    ON CONFLICT (`stage_id`, `currency`) DO UPDATE SET `deals` = `deals` + 1, `amount_cents` = `amount_cents` + excluded.amount_cents;
END;
