/** Events one request may carry at most: more is a 413 and nothing is stored. */
export const MAX_EVENTS_PER_REQUEST = 10_000;
/**
 * The events route's own body limit (the rest of the API keeps CRM_BODY_LIMIT_BYTES): 10,000
 * events of a few hundred bytes each fit in 4 MiB of JSON.
 */
export const EVENTS_MAX_BYTES = 4 * 1024 * 1024;
/** How far ahead of the server's clock an event's `occurredAt` may be (clock skew of the sender). */
export const MAX_FUTURE_MS = 5 * 60 * 1000;
/** How old an event may be: older ones are refused (731 days: two years, a leap day included). */
export const MAX_AGE_MS = 731 * 24 * 60 * 60 * 1000;
/** The body formats the route takes, by Content-Type. */
export type EventFormat = "json" | "msgpack";
