import { type FieldIssue, ValidationError } from "../core/errors.ts";
import { formNumbers } from "../core/form-numbers.ts";
import { loggedDayIssue } from "../core/logged-day.ts";
import { zonedToUtc } from "../core/time-zone.ts";

/** "09:30" as typed or sent by an input type=time (which may add seconds). */
const TIME = /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,3})?)?$/;

/**
 * A page form's activity fields as the API's activity input: the day and time (in the viewer's
 * zone, `zone`) become one ISO instant, and a meeting has no direction (only calls and emails
 * do; a form without JavaScript still sends its direction menu, which is dropped). A bad day or
 * time is a 422 naming the field; whether it is in the future is activityInput's rule.
 */
export function activityFormInput(fields: Record<string, string>, zone: string): Record<string, unknown> {
  const issues: FieldIssue[] = [];
  const day = fields.occurredOn?.trim() ?? "";
  const time = fields.occurredTime?.trim() ?? "";
  const dayIssue = day ? loggedDayIssue(day) : undefined;
  if (dayIssue) issues.push({ field: "occurredOn", message: dayIssue });
  if (time && !TIME.test(time)) issues.push({ field: "occurredTime", message: "must be a time like 09:30" });
  if (time && !day) issues.push({ field: "occurredOn", message: "is needed with a time" });
  if (issues.length) throw new ValidationError(issues);
  return {
    ...formNumbers(fields, ["subjectId"]),
    direction: fields.kind === "meeting" ? undefined : fields.direction || undefined,
    occurredAt: day
      ? new Date(zonedToUtc(day, time.slice(0, 5) || "12:00", zone)).toISOString()
      : fields.occurredAt || undefined,
  };
}
