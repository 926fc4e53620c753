/**
 * The first year a page form takes for a day something happened or is due. A date field
 * gives "0026-03-01" when someone types "26" as the year; no CRM activity or task is that
 * old, so such a day is refused with a word instead of being stored as typed.
 */
export const FIRST_YEAR = 1900;

/**
 * Why `day` ("YYYY-MM-DD") is not a day a form may store, or undefined when it is: its shape,
 * a real calendar day (2026-02-30 is refused, not rolled over to 2 March), and a year from
 * FIRST_YEAR on.
 */
export function loggedDayIssue(day: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return "must be a date like 2026-01-31";
  const ms = Date.parse(`${day}T00:00:00Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== day) return "must be a real date";
  if (Number(day.slice(0, 4)) < FIRST_YEAR) return `must be in ${FIRST_YEAR} or later`;
  return undefined;
}
