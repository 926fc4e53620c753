import { ownerIssue } from "../auth/users.ts";
import { BadRequestError, type FieldIssue, ValidationError } from "../core/errors.ts";
import { isTimeZone } from "../core/time-zone.ts";
import { isCalendarDay } from "../lists/list-params.ts";
import type { Shard } from "../tenancy/shard.ts";
import { dayNumber, dayText, localDay } from "./zone-calendar.ts";

/** What every report is filtered by: local days (both included), an owner, the zone days are read in. */
export interface ReportFilters {
  from: string;
  to: string;
  ownerId: number | null;
  zone: string;
}

/** The query parameters the reports take (the API's also `zone`). */
export const FILTER_PARAMS = ["from", "to", "ownerId"] as const;
/** The longest range: five years (weekly activity over it is already 260 bars). */
export const MAX_RANGE_DAYS = 5 * 365 + 2;
/** Days before 1970 or after 9998 are refused: day numbers in SQL count from 1970. */
const FIRST_YEAR = 1970;
const LAST_YEAR = 9998;
const ZONE_MAX_LENGTH = 64;

/** The default range: the twelve months ending with `to` (from the 1st of the month eleven months earlier). */
export function defaultFrom(to: string): string {
  const index = Number(to.slice(0, 4)) * 12 + Number(to.slice(5, 7)) - 1 - 11;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, "0")}-01`;
}

interface Problems {
  /** Malformed: not a date, not a whole number (the API answers these 400, as for any list). */
  malformed: FieldIssue[];
  /** Well formed but refused (422): a range backwards or too long, an owner not in the workspace. */
  refused: FieldIssue[];
}

function dayIssue(value: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return "must be a date like 2025-01-31";
  if (!isCalendarDay(value)) return "must be a real date";
  return undefined;
}

function yearIssue(value: string): string | undefined {
  const year = Number(value.slice(0, 4));
  return year < FIRST_YEAR || year > LAST_YEAR ? `must be between ${FIRST_YEAR} and ${LAST_YEAR}` : undefined;
}

function readFilters(
  shard: Shard,
  query: Record<string, string | undefined>,
  today: string,
  zone: string,
): { filters: ReportFilters; problems: Problems } {
  const problems: Problems = { malformed: [], refused: [] };
  const day = (name: "from" | "to", fallback: () => string): string => {
    const value = query[name]?.trim();
    if (!value) return fallback();
    const malformed = dayIssue(value);
    if (malformed) problems.malformed.push({ field: name, message: malformed });
    else {
      const refused = yearIssue(value);
      if (refused) problems.refused.push({ field: name, message: refused });
    }
    return value;
  };
  const to = day("to", () => today);
  const from = day("from", () => defaultFrom(dayIssue(to) ? today : to));

  let ownerId: number | null = null;
  const owner = query.ownerId?.trim();
  if (owner) {
    if (!/^[1-9]\d{0,15}$/.test(owner) || !Number.isSafeInteger(Number(owner)))
      problems.malformed.push({ field: "ownerId", message: "must be a user's id, a whole number" });
    else {
      ownerId = Number(owner);
      problems.refused.push(...ownerIssue(shard, ownerId));
    }
  }

  const datesOk = !problems.malformed.length && !problems.refused.some((p) => p.field !== "ownerId");
  if (datesOk && from > to) problems.refused.push({ field: "from", message: "must not be after to" });
  else if (datesOk && dayNumber(to) - dayNumber(from) + 1 > MAX_RANGE_DAYS)
    problems.refused.push({ field: "from", message: "the range may span at most 5 years" });
  return { filters: { from, to, ownerId, zone }, problems };
}

/**
 * The report filters of a page's query: `from` and `to` (local days, default the twelve months
 * to today) and `ownerId`. Any problem is a ValidationError (422) naming each parameter, which
 * the page shows next to its field. Unknown parameters are ignored, as on every page.
 */
export function pageFilters(
  shard: Shard,
  query: Record<string, string | undefined>,
  today: string,
  zone: string,
): ReportFilters {
  const { filters, problems } = readFilters(shard, query, today, zone);
  const issues = [...problems.malformed, ...problems.refused];
  if (issues.length) throw new ValidationError(issues);
  return filters;
}

/**
 * The report filters of an API request: as on the pages, plus `zone` (an IANA time zone,
 * default UTC). As on every API list, an unknown or malformed parameter is a 400 naming it;
 * a well-formed one the report refuses is a 422 naming it.
 */
export function apiFilters(shard: Shard, query: Record<string, string>, now: number): ReportFilters {
  const unknown = Object.keys(query).find(
    (name) => name !== "zone" && !(FILTER_PARAMS as readonly string[]).includes(name),
  );
  if (unknown) throw new BadRequestError(`"${unknown}" is not a parameter of this report`, unknown);
  const zone = query.zone?.trim() || "UTC";
  if (zone.length > ZONE_MAX_LENGTH)
    throw new BadRequestError(`zone: must be at most ${ZONE_MAX_LENGTH} characters`, "zone");
  const zoneKnown = isTimeZone(zone);
  const today = dayText(Math.floor(now / 86_400_000));
  const { filters, problems } = readFilters(shard, query, zoneKnown ? localDay(now, zone) : today, zone);
  const [malformed] = problems.malformed;
  if (malformed) throw new BadRequestError(`${malformed.field}: ${malformed.message}`, malformed.field);
  const refused = [
    ...(zoneKnown ? [] : [{ field: "zone", message: "is not a time zone (IANA, like Europe/Paris)" }]),
    ...problems.refused,
  ];
  if (refused.length) throw new ValidationError(refused);
  return filters;
}
