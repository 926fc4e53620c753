/** Words, in any script: everything else (quotes, *, -, NEAR(, parentheses) is FTS5 syntax or noise. */
const WORD = /[\p{L}\p{N}]+/gu;
const MAX_TERMS = 8;

/**
 * Turns what a user typed into a safe FTS5 query: each word becomes a quoted prefix term
 * (`"jan"* "doe"*`, all must match), so FTS syntax characters can never make a query that
 * fails or means something else. Returns undefined when nothing searchable was typed.
 */
export function toFtsQuery(text: string): string | undefined {
  const words = text.normalize("NFKC").match(WORD);
  if (!words) return undefined;
  return words
    .slice(0, MAX_TERMS)
    .map((word) => `"${word}"*`)
    .join(" ");
}
