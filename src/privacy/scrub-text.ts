/** What an erased person's name, email or phone becomes where other records quote it. */
export const ERASED = "[erased]";

/**
 * The longest text one value may have for the scrub to read it (4 Mi characters, far beyond
 * what any form or import accepts): a longer value is left as it is and counted, never scanned.
 */
export const MAX_SCRUB_LENGTH = 4 * 1024 * 1024;

/** The characters a regular expression reads as syntax (with the `u` flag, only these may be escaped). */
const SYNTAX = /[\\^$.*+?()[\]{}|/]/g;

/**
 * A whole-word, case-insensitive match of one literal text: the text escaped (no quantifier of
 * the caller's survives), with no letter, digit or `_` right before or after it. Built from a
 * literal and two look-arounds of one character each, it runs in time linear in the text times
 * the literal's length: nothing in it can backtrack further.
 */
export function mentionPattern(literal: string): RegExp {
  return new RegExp(`(?<![\\p{L}\\p{N}_])${literal.replace(SYNTAX, "\\$&")}(?![\\p{L}\\p{N}_])`, "giu");
}

/** The text with every whole-word quote of the patterns replaced, and how many were. */
export function scrubText(text: string, patterns: readonly RegExp[]): { text: string; replaced: number } {
  let replaced = 0;
  let out = text;
  if (text.length > MAX_SCRUB_LENGTH) return { text, replaced: 0 };
  for (const pattern of patterns) {
    pattern.lastIndex = 0;
    out = out.replace(pattern, () => {
      replaced++;
      return ERASED;
    });
  }
  return { text: out, replaced };
}

/**
 * The longest run of ASCII letters, digits and punctuation of a mention, lower-cased: a text
 * quoting the mention, in any case, contains it, so SQL can pick the candidate rows with
 * `instr(lower(column), ?)` (SQLite's lower() folds ASCII only). Null when no run of 3 or more
 * characters exists: then every row is a candidate.
 */
export function asciiProbe(mention: string): string | null {
  let best = "";
  for (const match of mention.match(/[\x20-\x7e]+/g) ?? []) {
    const run = match.trim();
    if (run.length > best.length) best = run;
  }
  return best.length >= 3 ? best.toLowerCase() : null;
}
