import { LoadtestError } from "./loadtest-error.ts";
import type { Credentials } from "./prepare-run.ts";

/** The flags of `crm loadtest` read into values, or a LoadtestError saying what is wrong in one line. */

/** `90`, `90s`, `5m` or `2m30s` as seconds. */
export function parseDuration(text: string): number {
  const match = /^(?:(\d+)m)?(?:(\d+)s?)?$/.exec(text);
  const seconds = match && text !== "" ? Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0) : Number.NaN;
  if (!Number.isSafeInteger(seconds) || seconds < 1)
    throw new LoadtestError(`--duration "${text}" is not a duration (e.g. 30, 30s, 5m, 2m30s)`);
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

export function parseUsers(text: string): Credentials[] {
  return text.split(",").map((pair) => {
    const colon = pair.indexOf(":");
    if (colon < 1 || colon === pair.length - 1)
      throw new LoadtestError(`--users expects email:password[,email:password…], got "${pair}"`);
    return { email: pair.slice(0, colon).trim(), password: pair.slice(colon + 1) };
  });
}
