import { describe, expect, it } from "bun:test";
import { MAX_AMOUNT_MINOR, readTypedAmount, typedAmountText } from "./typed-amount.ts";

describe("readTypedAmount's limit, marks and symbols", () => {
  it("takes the API's limit exactly in minor units, and says the largest when over it", () => {
    for (const currency of ["USD", "JPY", "KWD"]) {
      const where = { currency, locale: "en-US" };
      expect(readTypedAmount(typedAmountText(MAX_AMOUNT_MINOR, where), where)).toEqual({
        ok: true,
        minor: MAX_AMOUNT_MINOR,
      });
    }
    const over = readTypedAmount("10000000000000.01", { currency: "USD", locale: "en-US" });
    expect(over).toEqual({
      ok: false,
      message: "“10000000000000.01” is too large (at most 10,000,000,000,000.00)",
    });
    const kwd = readTypedAmount("9999999999999,999", { currency: "KWD", locale: "de-DE" });
    expect(kwd.ok ? "" : kwd.message).toContain("is too large (at most 1.000.000.000.000,000)");
    expect(readTypedAmount("9".repeat(30), { currency: "USD", locale: "en-US" }).ok).toBe(false);
  });

  it("shows amounts near the limit exactly on an edit form", () => {
    expect(typedAmountText(999_999_999_999_999, { currency: "USD", locale: "de-DE" })).toBe(
      "9999999999999,99",
    );
    expect(typedAmountText(5, { currency: "KWD", locale: "en-US" })).toBe("0.005");
  });

  it("refuses a whole part grouped with the decimal mark or with two kinds of mark", () => {
    for (const typed of ["1.000,000,5", "1,000.000.5", "1 000.000,50"])
      expect(readTypedAmount(typed, { currency: "EUR", locale: "de-DE" })).toMatchObject({ ok: false });
    expect(readTypedAmount("1.000.000,50", { currency: "EUR", locale: "de-DE" })).toEqual({
      ok: true,
      minor: 100_000_050,
    });
    expect(readTypedAmount("1 000 000,50", { currency: "EUR", locale: "fr-FR" })).toEqual({
      ok: true,
      minor: 100_000_050,
    });
  });

  it("drops the common prefixed symbols of the deal's currency", () => {
    expect(readTypedAmount("US$24,000", { currency: "USD", locale: "en-US" })).toEqual({
      ok: true,
      minor: 2_400_000,
    });
    expect(readTypedAmount("CA$ 5.50", { currency: "CAD", locale: "en-US" })).toEqual({
      ok: true,
      minor: 550,
    });
    expect(readTypedAmount("A$5", { currency: "AUD", locale: "en-GB" })).toEqual({ ok: true, minor: 500 });
    expect(readTypedAmount("NZ$5", { currency: "NZD", locale: "de-DE" })).toEqual({ ok: true, minor: 500 });
    expect(readTypedAmount("€5", { currency: "USD", locale: "en-US" }).ok).toBe(false);
  });
});
