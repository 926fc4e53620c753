import { z } from "zod";
import { CHANGE_TYPES } from "../changes/change.ts";

/** Patterns one subscription may list. */
export const MAX_EVENT_PATTERNS = 20;

const KNOWN = new Set<string>(CHANGE_TYPES);
const OBJECTS = new Set(CHANGE_TYPES.map((type) => type.split(".")[0]));

/**
 * An event kind a subscription listens to: a type of the changes feed ("contact.created",
 * "deal.stage_changed"), every type of one object ("deal.*"), or everything ("*"). A typo is
 * refused rather than kept as a subscription that never receives anything.
 */
function knownPattern(pattern: string): boolean {
  if (pattern === "*" || KNOWN.has(pattern)) return true;
  return pattern.endsWith(".*") && OBJECTS.has(pattern.slice(0, -2));
}

export const eventPatterns = z
  .array(
    z
      .string()
      .max(72, "must be at most 72 characters")
      .refine(knownPattern, {
        message: `must be "*", an object's kinds ("${[...OBJECTS].join('.*", "')}.*") or one of ${CHANGE_TYPES.join(", ")}`,
      }),
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
