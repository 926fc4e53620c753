import { z } from "zod";

/** Tags are short lower-case labels; commas separate them in forms, so they cannot contain one. */
export const tagName = z
  .string()
  .trim()
  .toLowerCase()
  .min(1, "must not be empty")
  .max(40, "must be at most 40 characters")
  .regex(/^[\p{L}\p{N}][\p{L}\p{N} _.&/-]*$/u, "may use letters, digits, spaces and - _ . & /");

export const MAX_TAGS = 20;

export const tagList = z
  .array(tagName)
  .max(MAX_TAGS, `at most ${MAX_TAGS} tags`)
  .transform((tags) => [...new Set(tags)]);

/** "vip, Lead ,  partner" → ["vip", "lead", "partner"] (validation happens in `tagList`). */
export function splitTags(text: string): string[] {
  return text
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);
}

/** A record's `tags` column (comma-joined), as an array. */
export function tagsFromColumn(column: string): string[] {
  return column ? column.split(",") : [];
}
