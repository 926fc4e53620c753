import { z } from "zod";

/** Patterns one subscription may list. */
export const MAX_EVENT_PATTERNS = 20;

/**
 * An event kind a subscription listens to: an exact kind ("contact.created", "deal.stage_changed"),
 * every kind of one object ("deal.*"), or everything ("*"). Linear-time, length-capped check.
 */
const PATTERN = /^(\*|[a-z][a-z_]{0,29}\.(\*|[a-z][a-z_]{0,39}))$/;

export const eventPatterns = z
  .array(
    z
      .string()
      .max(72, "must be at most 72 characters")
      .regex(PATTERN, 'must be an event kind like "contact.created", "deal.*" or "*"'),
    "must be a list of event kinds",
  )
  .min(1, "must list at least one event kind")
  .max(MAX_EVENT_PATTERNS, `must list at most ${MAX_EVENT_PATTERNS} event kinds`)
  .transform((patterns) => [...new Set(patterns)]);

/** Whether a change of kind `type` is one the patterns ask for. */
export function matchesEvent(patterns: readonly string[], type: string): boolean {
  for (const pattern of patterns) {
    if (pattern === "*" || pattern === type) return true;
    if (pattern.endsWith(".*") && type.startsWith(pattern.slice(0, -1))) return true;
  }
  return false;
}

/** Event kinds typed into a form: separated by commas, spaces or line breaks. */
export function patternsFromText(text: string | undefined): string[] {
  return (text ?? "").split(/[\s,]+/).filter((p) => p !== "");
}
