/** ISO 4217 codes this runtime knows (Intl), so a currency is never a typo or arbitrary text. */
const CURRENCIES = new Set(Intl.supportedValuesOf("currency"));

export function isCurrency(code: string): boolean {
  return CURRENCIES.has(code);
}

const digitsCache = new Map<string, number>();

/** Digits after the decimal point in `currency` (2 for USD, 0 for JPY, 3 for BHD). */
export function minorDigits(currency: string): number {
  let digits = digitsCache.get(currency);
  if (digits === undefined) {
    digits =
      new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ??
      2;
    digitsCache.set(currency, digits);
  }
  return digits;
}

/** "1,234.50" in USD → 123450 (minor units), or undefined if it is not an amount. */
export function parseAmount(text: string, currency: string): number | undefined {
  const cleaned = text.replace(/[\s,]/g, "");
  if (!/^\d{1,13}(\.\d+)?$/.test(cleaned)) return undefined;
  const digits = minorDigits(currency);
  const [whole, fraction = ""] = cleaned.split(".");
  if (fraction.length > digits) return undefined;
  return Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, "0") || 0);
}

const formatters = new Map<string, Intl.NumberFormat>();

/** 123450 USD → "$1,234.50" (en-US), "1.234,50 $" (de-DE): in the workspace's locale (Settings → Workspace). */
export function formatMoney(minor: number, currency: string, locale = "en-US"): string {
  const key = `${locale} ${currency}`;
  let format = formatters.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, { style: "currency", currency });
    formatters.set(key, format);
  }
  return format.format(minor / 10 ** minorDigits(currency));
}

/** 123450 USD → "1234.50": what an amount field shows for editing. */
export function amountText(minor: number, currency: string): string {
  const digits = minorDigits(currency);
  return digits ? (minor / 10 ** digits).toFixed(digits) : String(minor);
}
