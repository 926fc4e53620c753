import { z } from "zod";
import { BadRequestError } from "../core/errors.ts";

/**
 * An optional query parameter: an empty value (a blank filter field) means "not given" on a
 * page, whose form sends every field. The API refuses an empty filter before this reads it
 * (parseListParams with "api", EMPTY_MEANS_DEFAULT).
 */
export const optionalParam = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === "" ? undefined : v), schema.optional());

/**
 * Whether `text` is a real calendar day written `YYYY-MM-DD`. Date.parse alone is not enough:
 * it rolls 2027-02-30 over to March 2nd instead of refusing it.
 */
export function isCalendarDay(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const ms = Date.parse(`${text}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === text;
}

/** `YYYY-MM-DD`, read as a UTC day. */
export const isoDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date like 2025-01-31")
  .refine(isCalendarDay, "must be a real date");

/** `YYYY-MM-DDThh:mm[:ss[.fraction]]` with `Z` or `±hh:mm`: one instant, whatever the server's zone. */
export const ISO_INSTANT =
  /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|[+-](0\d|1[0-4]):[0-5]\d)$/;

/** Whether `text` is an ISO 8601 date and time with a zone, on a real calendar day. */
export function isIsoInstant(text: string): boolean {
  const match = ISO_INSTANT.exec(text);
  return match !== null && isCalendarDay(match[1] as string) && !Number.isNaN(Date.parse(text));
}

/**
 * `updatedSince`: records changed at or after this instant (`updated_at >= it`), as epoch ms.
 * A zone is required: a time without one would mean the server's.
 */
export const updatedSinceParam = optionalParam(
  z
    .string()
    .max(40, "must be a date and time like 2026-12-01T10:00:00Z")
    .refine(isIsoInstant, "must be a date and time with a zone, like 2026-12-01T10:00:00Z"),
);

export function dayStart(day: string): number {
  return Date.parse(`${day}T00:00:00Z`);
}

export const DAY_MS = 86_400_000;

/**
 * A whole number in a query string: decimal digits only. JavaScript's Number() would also read
 * "0x10" as 16, "1e3" as 1000 and " 5" or "" as numbers; those are refused ("must be a whole
 * number") like any other text.
 */
export const queryInteger = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === "string" && /^\d{1,16}$/.test(v) ? Number(v) : v), schema);

const WHOLE = { error: "must be a whole number" };

export const positiveId = queryInteger(
  z.number(WHOLE).int(WHOLE.error).positive("must be positive").max(Number.MAX_SAFE_INTEGER),
);

/** `limit` of a list page: 1 to 200, `fallback` when not given. */
export const listLimitOf = (fallback: number) =>
  queryInteger(
    z
      .number(WHOLE)
      .int(WHOLE.error)
      .min(1, "must be at least 1")
      .max(200, "must be at most 200")
      .default(fallback),
  );

export const listLimit = listLimitOf(50);

/**
 * The API's one rule for an empty query value (`?email=`, `?ownerId=`): a 400 naming the
 * parameter, except for these, where empty text means their default and can never widen what
 * a list holds: `q` (no search), `cursor` (the first page), `sort` and `order` (the default
 * order). Every other parameter narrows the list, and an integration that looks its record up
 * by a value it failed to fill in (`?externalId=`) must get a 400, never every record to take
 * the first of. Pages keep "a blank field is not given" (optionalParam): their forms send every
 * field.
 */
export const EMPTY_MEANS_DEFAULT: ReadonlySet<string> = new Set(["q", "cursor", "sort", "order"]);

/** 400 naming the first parameter of `query` that is empty where EMPTY_MEANS_DEFAULT does not allow it. */
export function refuseEmptyFilters(query: Record<string, string>): void {
  const empty = Object.keys(query).find((name) => query[name] === "" && !EMPTY_MEANS_DEFAULT.has(name));
  if (empty !== undefined)
    throw new BadRequestError(
      `${empty}: must not be empty (leave the parameter out to list everything)`,
      empty,
    );
}

/**
 * Parses a list's query parameters. Lists answer 400 (not 422) for a parameter outside their
 * allow-list, naming it; with `strict`, unknown parameters are refused too; with "api" (the
 * JSON API's lists), also an empty filter (refuseEmptyFilters).
 */
export function parseListParams<S extends z.ZodObject>(
  schema: S,
  query: Record<string, string>,
  strict: boolean | "api",
): z.output<S> {
  if (strict) {
    const unknown = Object.keys(query).find((name) => !(name in schema.shape));
    if (unknown) throw new BadRequestError(`"${unknown}" is not a parameter of this list`, unknown);
  }
  if (strict === "api") refuseEmptyFilters(query);
  const result = schema.safeParse(query);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = String(issue?.path[0] ?? "query");
    throw new BadRequestError(`${field}: ${issue?.message ?? "invalid"}`, field);
  }
  return result.data;
}
