import { minorDigits } from "./money.ts";

/** What a page form's amount field read: the amount in minor units, or why it could not. */
export type TypedAmount = { ok: true; minor: number } | { ok: false; message: string };

export interface AmountLocale {
  /** The deal's ISO 4217 currency: its symbol and code may be typed, and how many decimals it has. */
  currency: string;
  /** The workspace's locale (BCP 47, e.g. de-DE): which of "." and "," marks decimals. */
  locale: string;
}

const MAX_LENGTH = 40;

/**
 * The largest amount a deal may have, in its currency's minor unit: the API's limit
 * (deal-input.ts) and a page form's, compared exactly (as integers), so an amount the API
 * took reads back from its edit form, and one over it is "too large" whatever its decimals.
 */
export const MAX_AMOUNT_MINOR = 1_000_000_000_000_000;
/** Spaces people and locales group digits with: space, no-break space, narrow no-break space, thin space; and apostrophes (de-CH). */
const GROUP_SPACES = /[ \u00a0\u202f\u2009'’]/g;

const separatorCache = new Map<string, { decimal: string; group: string }>();

/** The locale's decimal mark ("." or ","), and the other one, which it may group thousands with. */
function separators(locale: string): { decimal: string; group: string } {
  let found = separatorCache.get(locale);
  if (!found) {
    const parts = new Intl.NumberFormat(locale).formatToParts(1.5);
    const decimal = parts.find((p) => p.type === "decimal")?.value === "," ? "," : ".";
    found = { decimal, group: decimal === "," ? "." : "," };
    separatorCache.set(locale, found);
  }
  return found;
}

const marksCache = new Map<string, string[]>();

/**
 * Locales whose symbols for a currency are its common prefixed forms, besides the workspace's
 * own: "CA$", "A$", "NZ$", "HK$" (en) and "US$" (en-GB).
 */
const SYMBOL_LOCALES = ["en", "en-GB"];

/**
 * The ways `currency` is written: its code and its symbols, standard and narrow, in the
 * workspace's locale and in SYMBOL_LOCALES. Cached: building the formatters costs about a
 * millisecond, reading the cache nothing.
 */
function currencyMarks(currency: string, locale: string): string[] {
  const key = `${locale} ${currency}`;
  const cached = marksCache.get(key);
  if (cached) return cached;
  const marks = new Set([currency]);
  for (const loc of [locale, ...SYMBOL_LOCALES])
    for (const display of ["symbol", "narrowSymbol"] as const) {
      const part = new Intl.NumberFormat(loc, { style: "currency", currency, currencyDisplay: display })
        .formatToParts(1)
        .find((p) => p.type === "currency");
      if (part) marks.add(part.value);
    }
  // Longest first, so "US$" goes before "$".
  const sorted = [...marks].sort((a, b) => b.length - a.length);
  if (marksCache.size > 1000) marksCache.clear();
  marksCache.set(key, sorted);
  return sorted;
}

function refuse(text: string, why: string): TypedAmount {
  return { ok: false, message: `“${text}” ${why}` };
}

/** Digit groups after the first are three digits long, the first one to three. */
function wellGrouped(groups: string[]): boolean {
  return groups.every((g, i) => /^\d+$/.test(g) && (i === 0 ? g.length <= 3 : g.length === 3));
}

/**
 * Reads an amount as people type it in a page form: "$24,000", "24.000,50", "€ 1.234,5",
 * "1 234,50". When both "." and "," appear, the last one marks decimals; one of them once,
 * followed by other than three digits ("24,5"), can only mark decimals; one of them more than
 * once only groups thousands. Left to the workspace's locale is one mark once before three
 * digits: "24,000" is twenty-four thousand in en-US, and in de-DE, where "," marks decimals,
 * twenty-four with three decimals, refused as unclear when the currency has fewer. The
 * currency's own code and symbols are dropped; another currency's are refused, as are signs,
 * letters, misplaced groups and more decimals than the currency has. Each refusal says what was
 * understood and how to write it. Linear in the text, which is capped.
 */
export function readTypedAmount(input: string, where: AmountLocale): TypedAmount {
  const text = input.trim();
  if (text.length > MAX_LENGTH)
    return { ok: false, message: `is too long (at most ${MAX_LENGTH} characters)` };
  const digits = minorDigits(where.currency);
  const { decimal, group } = separators(where.locale);
  let rest = text;
  for (const mark of currencyMarks(where.currency, where.locale)) {
    const at = rest.toUpperCase().indexOf(mark.toUpperCase());
    if (at >= 0) {
      rest = rest.slice(0, at) + rest.slice(at + mark.length);
      break;
    }
  }
  rest = rest.trim();
  if (/^[-−(]|[-−)]$/.test(rest)) return refuse(text, "is negative: an amount must not be negative");
  const foreign = rest.match(/\p{Sc}|[A-Za-z]{3}/u);
  if (foreign)
    return refuse(
      text,
      `names “${foreign[0]}”, not this deal's currency (${where.currency}): change the currency, or type the amount in ${where.currency}`,
    );
  const spaced = rest.replace(GROUP_SPACES, "_");
  if (!/^\d[\d.,_]*$/.test(spaced) || /[.,_]{2}|_$/.test(spaced))
    return refuse(text, `is not an amount: write it like ${example(where)}`);
  const lastDot = spaced.lastIndexOf(".");
  const lastComma = spaced.lastIndexOf(",");
  let mark: string | null = null;
  if (lastDot >= 0 && lastComma >= 0) mark = lastDot > lastComma ? "." : ",";
  else if (lastDot >= 0 || lastComma >= 0) {
    const only = lastDot >= 0 ? "." : ",";
    const count = spaced.split(only).length - 1;
    const after = spaced.slice(spaced.lastIndexOf(only) + 1);
    if (count > 1) {
      // "1.000.000": only thousands read that way.
      if (!wellGrouped(spaced.split(/[._,]/)))
        return refuse(text, `has “${only}” more than once, but not between groups of three digits`);
    } else if (after.length !== 3)
      mark = only; // "24,5" or "1 234,50": only decimals read that way
    else if (only === decimal && digits < 3 && !/^0+$/.test(spaced.slice(0, spaced.indexOf(only))))
      // "24,000" in de-DE: decimals by the locale, but more of them than the currency has.
      return refuse(
        text,
        `is unclear: in ${where.locale} “${only}” marks decimals, so it reads as ${spaced.replace(/_/g, "")} with three decimals, and ${where.currency} has ${digits}. For thousands write ${spaced.replace(/_/g, "").replace(only, group)}, or no separator`,
      );
    else if (only === decimal) mark = only; // "0,005": too many decimals, said below
  }
  const cut = mark ? spaced.lastIndexOf(mark) : -1;
  const whole = cut >= 0 ? spaced.slice(0, cut) : spaced;
  const fraction = cut >= 0 ? spaced.slice(cut + 1) : "";
  if (fraction.includes(".") || fraction.includes(",") || fraction.includes("_") || !/^\d*$/.test(fraction))
    return refuse(text, `is not an amount: write it like ${example(where)}`);
  if (mark && (whole.includes(mark) || (whole.includes("_") && /[.,]/.test(whole))))
    // "1.000,000,5": the decimal mark also groups, or two kinds of group mark in one amount.
    return refuse(
      text,
      `mixes its marks: group thousands with one mark only and mark decimals with the other, as in ${example(where)}`,
    );
  const groups = whole.split(/[._,]/);
  if (groups.length > 1 && !wellGrouped(groups))
    return refuse(
      text,
      `has digits grouped oddly (${whole.replace(/_/g, " ")}): group thousands by three, as in ${example(where)}`,
    );
  const wholeDigits = groups.join("").replace(/^0+(?=\d)/, "");
  if (fraction.length > digits)
    return refuse(
      text,
      digits === 0
        ? `has decimals, and ${where.currency} has none`
        : `reads as ${wholeDigits}${decimal}${fraction}: ${where.currency} has only ${digits} decimals`,
    );
  // Whole digits past the limit's own are over it whatever they are; the rest is compared exactly.
  const minor =
    wholeDigits.length > 17
      ? undefined
      : BigInt(wholeDigits) * 10n ** BigInt(digits) + BigInt(fraction.padEnd(digits, "0") || 0);
  if (minor === undefined || minor > BigInt(MAX_AMOUNT_MINOR))
    return refuse(text, `is too large (at most ${largest(where)})`);
  return { ok: true, minor: Number(minor) };
}

/** MAX_AMOUNT_MINOR written the workspace's way, grouped: "10,000,000,000,000.00" for USD in en-US. */
function largest(where: AmountLocale): string {
  const digits = minorDigits(where.currency);
  return new Intl.NumberFormat(where.locale, {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(MAX_AMOUNT_MINOR / 10 ** digits);
}

const examples = new Map<string, string>();

/** 12,500.00 written the workspace's way, for messages and placeholders. */
export function example(where: AmountLocale): string {
  const key = `${where.locale} ${where.currency}`;
  let text = examples.get(key);
  if (text === undefined) {
    text = new Intl.NumberFormat(where.locale, {
      minimumFractionDigits: minorDigits(where.currency),
      maximumFractionDigits: minorDigits(where.currency),
    }).format(12500);
    if (examples.size > 1000) examples.clear();
    examples.set(key, text);
  }
  return text;
}

/**
 * An amount as an edit form shows it, in the workspace's way and read back the same: 123450 →
 * "1234,50" in de-DE. Whole part and decimals are worked out as integers: minor / 10 ** digits
 * is not exact for large amounts, and the form must give back the very amount it showed.
 */
export function typedAmountText(minor: number, where: AmountLocale): string {
  const digits = minorDigits(where.currency);
  if (digits === 0) return String(minor);
  const scale = 10n ** BigInt(digits);
  const n = BigInt(minor);
  return `${n / scale}${separators(where.locale).decimal}${String(n % scale).padStart(digits, "0")}`;
}
