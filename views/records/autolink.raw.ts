import { escapeHtml, type Html, trustedHtml } from "../html.ts";

/** http(s) URLs only: anything else (javascript:, data:) stays text. */
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"'`]+/gi;
/** Punctuation that usually ends a sentence rather than the URL. */
const TRAILING = /[.,;:!?)\]]+$/;

/**
 * Plain text as HTML: every character escaped, and http(s) URLs turned into links that open
 * in a new tab without a referrer. Nothing a user typed is ever rendered as markup.
 */
export function autolink(text: string): Html {
  let out = "";
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const url = match[0].replace(TRAILING, "");
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
