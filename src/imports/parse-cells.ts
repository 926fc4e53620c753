import { isCalendarDay } from "../lists/list-params.ts";

/** How a date like 2/5/24 is read: by itself where it can only be one day, month first, or day first. */
export const DATE_ORDERS = ["auto", "mdy", "dmy"] as const;
export type DateOrder = (typeof DATE_ORDERS)[number];

export const DATE_ORDER_LABELS: Record<DateOrder, string> = {
  auto: "Only where clear (2024-02-05, 25/12/2024; 2/5/24 is refused)",
  mdy: "Month first (2/5/24 is 5 February 2024)",
  dmy: "Day first (2/5/24 is 2 May 2024)",
};

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const refused = (message: string): Parsed<never> => ({ ok: false, message });

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const MONTH_NAMES = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

function monthOf(word: string): number | undefined {
  const i = MONTHS.indexOf(word.slice(0, 3).toLowerCase());
  return i === -1 ? undefined : i + 1;
}

function fullYear(text: string): number {
  const n = Number(text);
  if (text.length > 2) return n;
  return n < 70 ? 2000 + n : 1900 + n;
}

function day(y: number, m: number, d: number, text: string): Parsed<string> {
  const iso = `${String(y).padStart(4, "0")}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
  return isCalendarDay(iso) ? ok(iso) : refused(`"${text}" is not a real date`);
}

// A time after the date (`1:51`, `13:05:00`, `T10:00:00Z`, `1:51 PM`) is allowed and left out.
const TIME = String.raw`(?:[T\s,]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[AaPp][Mm])?\s*(?:Z|[+-]\d{2}:?\d{2})?)?`;
const ISO = new RegExp(String.raw`^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})${TIME}$`);
const NUMERIC = new RegExp(String.raw`^(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})${TIME}$`);
const DAY_MONTH_NAME = new RegExp(String.raw`^(\d{1,2})[\s-]+([A-Za-z]{3,9})\.?[\s-]+(\d{4}|\d{2})${TIME}$`);
const MONTH_NAME_DAY = new RegExp(String.raw`^([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})${TIME}$`);

/**
 * A day from what exports write: 2024-02-05 (with or without a time), 2024/02/05, 5 Feb 2024,
 * Feb 5, 2024, and numeric dates with `/`, `.` or `-`, read in `order`. A numeric date that
 * could be two days (2/5/24: 5 February or 2 May) is refused in `auto` order with a message
 * that says both and where to choose. The text is short (a cell), and every pattern is anchored
 * and linear.
 */
export function parseDay(text: string, order: DateOrder): Parsed<string> {
  const t = text.trim();
  if (t.length > 40) return refused("is not a date");
  let m = ISO.exec(t);
  if (m) return day(Number(m[1]), Number(m[2]), Number(m[3]), t);
  m = NUMERIC.exec(t);
  if (m) {
    const a = Number(m[1]);
    const b = Number(m[3]);
    const y = fullYear(m[4] as string);
    if (order === "mdy") return day(y, a, b, t);
    if (order === "dmy") return day(y, b, a, t);
    if (a > 12 || a === b) return day(y, b, a, t);
    if (b > 12) return day(y, a, b, t);
    return refused(
      `"${t}" could be ${b} ${MONTH_NAMES[a - 1]} or ${a} ${MONTH_NAMES[b - 1]} ${y}: choose month first or day first under "Dates" and check again`,
    );
  }
  m = DAY_MONTH_NAME.exec(t);
  if (m) {
    const month = monthOf(m[2] as string);
    if (month) return day(fullYear(m[3] as string), month, Number(m[1]), t);
  }
  m = MONTH_NAME_DAY.exec(t);
  if (m) {
    const month = monthOf(m[1] as string);
    if (month) return day(Number(m[3]), month, Number(m[2]), t);
  }
  return refused(`"${t.slice(0, 40)}" is not a date (write it like 2024-02-05)`);
}

/**
 * A plain decimal from a number as people write it: `1234.5`, `1,234.50`, `1.234,50`,
 * `1 234,50`, `1'234.50`, `$1,234.50`. When both `,` and `.` appear, the last one is the
 * decimal mark; `1,234` (groups of three) is a thousand and more, `12,5` is twelve and a half.
 */
export function plainDecimal(text: string): string | undefined {
  if (text.length > 60) return undefined;
  let t = text.trim().replace(/^[A-Za-z]{3}\s*|\s*[A-Za-z]{3}$/g, "");
  t = t.replace(/[$€£¥₹\s\u00a0\u202f']/g, "");
  if (t.length === 0 || t.length > 40) return undefined;
  const negative = t.startsWith("-");
  if (negative) t = t.slice(1);
  const lastComma = t.lastIndexOf(",");
  const lastDot = t.lastIndexOf(".");
  if (lastComma !== -1 && lastDot !== -1) {
    const decimal = lastComma > lastDot ? "," : ".";
    const group = decimal === "," ? "." : ",";
    t = t.replaceAll(group, "").replace(decimal, ".");
  } else if (lastComma !== -1) {
    t = /^\d{1,3}(,\d{3})+$/.test(t) ? t.replaceAll(",", "") : t.replace(",", ".");
  } else if (lastDot !== -1 && /^\d{1,3}(\.\d{3}){2,}$/.test(t)) {
    t = t.replaceAll(".", "");
  }
  if (!/^\d+(\.\d+)?$/.test(t)) return undefined;
  return negative ? `-${t}` : t;
}

const TRUE = new Set(["yes", "y", "true", "t", "1", "x", "on", "checked", "ja", "oui", "si", "sí"]);
const FALSE = new Set(["no", "n", "false", "f", "0", "off", "unchecked", "nein", "non"]);

/** A checkbox from yes/no, true/false, 1/0, x. */
export function parseCheckbox(text: string): Parsed<boolean> {
  const t = text.trim().toLowerCase();
  if (TRUE.has(t)) return ok(true);
  if (FALSE.has(t)) return ok(false);
  return refused(`"${text.slice(0, 40)}" is not yes or no`);
}

/** Several values in one cell: separated by semicolons, or commas when there is no semicolon. */
export function splitList(text: string): string[] {
  const separator = text.includes(";") ? ";" : ",";
  return text
    .split(separator)
    .map((v) => v.trim())
    .filter(Boolean);
}
