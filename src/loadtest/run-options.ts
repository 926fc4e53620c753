import { LoadtestError } from "./loadtest-error.ts";
import type { Credentials } from "./prepare-run.ts";

/** The flags of `crm loadtest` read into values, or a LoadtestError saying what is wrong in one line. */

/** The longest run taken: a day's soak. Longer is a typo (or a run nobody would stop). */
export const MAX_DURATION_SECONDS = 24 * 60 * 60;

/** `90`, `90s`, `5m` or `2m30s` as seconds, from 1 s to 24 h. */
export function parseDuration(text: string): number {
  const match = /^(?:(\d+)m)?(?:(\d+)s?)?$/.exec(text);
  const seconds = match && text !== "" ? Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0) : Number.NaN;
  if (!Number.isSafeInteger(seconds) || seconds < 1)
    throw new LoadtestError(`--duration "${text}" is not a duration (e.g. 30, 30s, 5m, 2m30s)`);
  if (seconds > MAX_DURATION_SECONDS)
    throw new LoadtestError(`--duration "${text}" is longer than 24 hours (1440m), the longest run taken`);
  return seconds;
}

export function positiveInt(text: string, flag: string, max: number): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1 || n > max)
    throw new LoadtestError(`--${flag} must be a whole number from 1 to ${max}, got "${text}"`);
  return n;
}

/** An optional limit (--max-p99, --max-rss-growth): null when not given. */
export function limit(text: string | undefined, flag: string): number | null {
  if (text === undefined) return null;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || text.trim() === "")
    throw new LoadtestError(`--${flag} must be a number, got "${text}"`);
  return n;
}

/**
 * `email:password,email:password…`: a ',' separates two users only where what follows it starts
 * like an email and its colon (`name@host:`), so a password may hold ',' (and ':'); an email
 * holds neither. A refusal names the item's place, never its text (it may be part of a password).
 */
export function parseUsers(text: string): Credentials[] {
  const items = text.split(/,(?=\s*[^\s,:@]+@[^\s,:@]+:)/);
  return items.map((pair, i) => {
    const colon = pair.indexOf(":");
    const email = pair.slice(0, Math.max(colon, 0)).trim();
    if (colon < 1 || colon === pair.length - 1 || email === "")
      throw new LoadtestError(
        `--users expects email:password[,email:password…]; user ${i + 1} of ${items.length} is not an email, a ':' and a password`,
      );
    return { email, password: pair.slice(colon + 1) };
  });
}
