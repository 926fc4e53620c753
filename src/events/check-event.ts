import { textProblem } from "../core/validation.ts";
import { EVENT_KINDS, type EventKind } from "../interactions/kinds.ts";
import { MAX_AGE_MS, MAX_FUTURE_MS } from "./event-limits.ts";

/** An event that passed every check but the contact's: who it is about is matched in SQL next. */
export interface CheckedEvent {
  index: number;
  kind: EventKind;
  occurredAt: number;
  contactId?: number;
  /** Trimmed and lower-cased. */
  email?: string;
  payload: Record<string, string>;
}

/** Why one event of a batch was refused; the others are stored. */
export interface RejectedEvent {
  index: number;
  field: string;
  message: string;
}

/** The optional text fields an event may carry, with their length caps; URLs must be http(s). */
const TEXT_FIELDS: Record<string, { max: number; url?: boolean }> = {
  url: { max: 2048, url: true },
  referrer: { max: 2048, url: true },
  title: { max: 300 },
  campaign: { max: 200 },
  form: { max: 200 },
};
/** TEXT_FIELDS as a list, made once (not an Object.entries array per event). */
const TEXT_FIELD_LIST = Object.entries(TEXT_FIELDS).map(([field, rule]) => ({ field, ...rule }));
const KINDS = new Set<string>(EVENT_KINDS);
const MAX_EMAIL = 254;
/** Something@something, no spaces: the contact is found by exact match, so nothing finer is needed. */
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+$/;
/** ISO 8601 with a time and an offset or Z (`2026-03-01T09:30:00Z`, `…+01:00`, fractions allowed). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

class Refusal {
  constructor(
    readonly field: string,
    readonly message: string,
  ) {}
}

/**
 * Whether an ISO time's date exists: Date.parse rolls a day past its month's end over
 * (2026-02-30 becomes 2026-03-02), so the day is checked against the month's length here.
 */
function realDay(value: string): boolean {
  const year = Number(value.slice(0, 4));
  const month = Number(value.slice(5, 7));
  const day = Number(value.slice(8, 10));
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  return month >= 1 && month <= 12 && day >= 1 && day <= days;
}

function occurredAt(value: unknown, now: number): number {
  if (value === undefined || value === null) return now;
  let time: number;
  if (value instanceof Date) time = value.getTime();
  else if (typeof value === "number" && Number.isSafeInteger(value)) time = value;
  else if (typeof value === "string" && value.length <= 40 && ISO_TIME.test(value))
    time = realDay(value) ? Date.parse(value) : Number.NaN;
  else
    throw new Refusal(
      "occurredAt",
      "must be an ISO 8601 time with a zone (2026-03-01T09:30:00Z) or milliseconds since 1970",
    );
  if (Number.isNaN(time)) throw new Refusal("occurredAt", "is not a real date");
  if (time > now + MAX_FUTURE_MS) throw new Refusal("occurredAt", "is more than 5 minutes in the future");
  if (time < now - MAX_AGE_MS) throw new Refusal("occurredAt", "is more than 2 years in the past");
  return time;
}

function text(field: string, value: unknown, max: number, url = false): string {
  if (typeof value !== "string") throw new Refusal(field, "must be a string");
  if (value.length > max) throw new Refusal(field, `must be at most ${max} characters`);
  const problem = textProblem(value);
  if (problem) throw new Refusal(field, problem);
  if (url && !/^https?:\/\/[^\s]+$/i.test(value)) throw new Refusal(field, "must be an http or https URL");
  return value;
}

function checkOne(item: unknown, index: number, now: number): CheckedEvent {
  if (typeof item !== "object" || item === null || Array.isArray(item) || item instanceof Date)
    throw new Refusal("event", "must be an object");
  const event = item as Record<string, unknown>;
  if (typeof event.type !== "string" || !KINDS.has(event.type))
    throw new Refusal("type", `must be one of ${EVENT_KINDS.join(", ")}`);
  const checked: CheckedEvent = {
    index,
    kind: event.type as EventKind,
    occurredAt: occurredAt(event.occurredAt, now),
    payload: {},
  };
  if (event.contactId !== undefined && event.contactId !== null) {
    if (typeof event.contactId !== "number" || !Number.isSafeInteger(event.contactId) || event.contactId < 1)
      throw new Refusal("contactId", "must be a positive integer");
    checked.contactId = event.contactId;
  }
  if (event.email !== undefined && event.email !== null) {
    const email = text("email", event.email, MAX_EMAIL).trim().toLowerCase();
    if (!EMAIL_SHAPE.test(email)) throw new Refusal("email", "must be an email address");
    checked.email = email;
  }
  if (checked.contactId === undefined && checked.email === undefined)
    throw new Refusal("email", "give the contact's email or contactId");
  for (const rule of TEXT_FIELD_LIST) {
    const value = event[rule.field];
    if (value !== undefined && value !== null)
      checked.payload[rule.field] = text(rule.field, value, rule.max, rule.url);
  }
  return checked;
}

/**
 * Checks each item of a batch on its own (linear in the batch's size): the valid ones, and for
 * each refused one its index, the field and why (the first problem found). `now` is when the
 * request arrived: `occurredAt` defaults to it and must lie within [now − 2 years, now + 5 min].
 */
export function checkEvents(
  items: unknown[],
  now: number,
): { valid: CheckedEvent[]; rejected: RejectedEvent[] } {
  const valid: CheckedEvent[] = [];
  const rejected: RejectedEvent[] = [];
  for (let index = 0; index < items.length; index++) {
    try {
      valid.push(checkOne(items[index], index, now));
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      rejected.push({ index, field: error.field, message: error.message });
    }
  }
  return { valid, rejected };
}
