import { escapeHtml, type Html, trustedHtml } from "../html.ts";

/** http(s) URLs only: anything else (javascript:, data:) stays text. */
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"'`]+/gi;
/** Punctuation that usually ends a sentence rather than the URL. */
const TRAILING = new Set([".", ",", ";", ":", "!", "?", ")", "]"]);

/**
 * `url` without the punctuation it ends with, by a scan back from the end: linear in the
 * length, where a regex anchored at the end (`/[.,;:!?)\]]+$/`) retried from every position of
 * a long run of punctuation that is not at the end, and took seconds on a 10,000-character note.
 */
function withoutTrailing(url: string): string {
  let end = url.length;
  while (end > 0 && TRAILING.has(url[end - 1] as string)) end--;
  return url.slice(0, end);
}

/**
 * Plain text as HTML: every character escaped, and http(s) URLs turned into links that open
 * in a new tab without a referrer. Nothing a user typed is ever rendered as markup.
 */
export function autolink(text: string): Html {
  let out = "";
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const url = withoutTrailing(match[0]);
    const start = match.index ?? 0;
    let valid = true;
    try {
      new URL(url);
    } catch {
      valid = false;
    }
    out += escapeHtml(text.slice(last, start));
    out += valid
      ? `<a href="${escapeHtml(url)}" rel="nofollow noopener noreferrer" target="_blank">${escapeHtml(url)}</a>`
      : escapeHtml(url);
    last = start + url.length;
  }
  return trustedHtml(out + escapeHtml(text.slice(last)));
}
