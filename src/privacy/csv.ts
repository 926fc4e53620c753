/** What a CSV cell can hold: SQLite's values, as bun:sqlite returns them. */
export type CsvValue = string | number | bigint | boolean | null | undefined;

/**
 * Fields with these characters are quoted (RFC 4180, section 2.6), and with `;`: Excel in a
 * locale whose list separator is `;` splits an unquoted cell there.
 */
const NEEDS_QUOTES = /[",;\r\n]/;

/**
 * Text that a spreadsheet would run as a formula (OWASP "CSV injection"): `=`, `+`, `-`, `@`,
 * and tab or carriage return, which some spreadsheets skip before reading the rest as a formula.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/** The RFC 4180 line break. */
export const CSV_EOL = "\r\n";

/**
 * One CSV field. Text that starts like a formula gets a leading `'`, which spreadsheets show as
 * text and never evaluate; numbers stay numbers (a stored -5 is data, not a formula). Null is empty.
 */
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return "";
  if (typeof value !== "string") return typeof value === "boolean" ? (value ? "1" : "0") : String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV record, with its line break. */
export function csvRow(values: readonly CsvValue[]): string {
  let line = "";
  for (let i = 0; i < values.length; i++) line += (i ? "," : "") + csvField(values[i]);
  return line + CSV_EOL;
}

/** A whole CSV document: a header record, then one record per row (each row's values in header order). */
export function toCsv(header: readonly string[], rows: Iterable<readonly CsvValue[]>): string {
  let out = csvRow(header);
  for (const row of rows) out += csvRow(row);
  return out;
}
