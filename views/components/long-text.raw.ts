import { escapeHtml } from "../html.ts";

/**
 * ` title="…"` with the whole text, for text long enough that its box may cut it short (the
 * stylesheet clamps names to a few lines); nothing for shorter text, which always shows whole,
 * so a list of ordinary names carries no copy of each. `longerThan` is about what the box
 * shows before it clamps. Hand-escaped: the text goes through escapeHtml.
 */
export function titleIfLong(text: string, longerThan: number): string {
  return text.length > longerThan ? ` title="${escapeHtml(text)}"` : "";
}

/** What a list's name cell shows before it clamps (three lines of its column). */
export const LIST_NAME_SHOWN = 60;
/** What a board card's title shows before it clamps (three lines of a card). */
export const CARD_TITLE_SHOWN = 40;
