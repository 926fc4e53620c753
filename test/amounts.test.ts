import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { readTypedAmount } from "../src/core/typed-amount.ts";
import { decodeEntities } from "./support/html-forms.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, PASSWORD, signIn } from "./support/workspace.ts";

/**
 * Amounts typed the way people write them (issue 11, item 8): one parser for the page forms,
 * by the workspace's locale and the deal's currency; the workspace's currency and locale set in
 * Settings → Workspace by owners and admins; amounts shown in that locale; a refusal says what it
 * understood and writes nothing. The JSON API keeps numbers.
 */
const read = (text: string, currency: string, locale: string) => readTypedAmount(text, { currency, locale });

describe("readTypedAmount", () => {
  it("reads symbols, codes, grouping and either decimal mark", () => {
    expect(read("$24,000", "USD", "en-US")).toEqual({ ok: true, minor: 2_400_000 });
    expect(read("24.000,50", "USD", "en-US")).toEqual({ ok: true, minor: 2_400_050 });
    expect(read("€ 1.234,5", "EUR", "de-DE")).toEqual({ ok: true, minor: 123_450 });
    expect(read("1 234,50", "EUR", "fr-FR")).toEqual({ ok: true, minor: 123_450 });
    expect(read("1\u202f234,50\u00a0€", "EUR", "fr-FR")).toEqual({ ok: true, minor: 123_450 });
    expect(read("1 234,50", "USD", "en-US")).toEqual({ ok: true, minor: 123_450 });
    expect(read("£1,234.56", "GBP", "en-GB")).toEqual({ ok: true, minor: 123_456 });
    expect(read("100 usd", "USD", "en-US")).toEqual({ ok: true, minor: 10_000 });
    expect(read("24.000", "EUR", "de-DE")).toEqual({ ok: true, minor: 2_400_000 });
    expect(read("1,000,000", "EUR", "de-DE")).toEqual({ ok: true, minor: 100_000_000 });
    expect(read("24,5", "USD", "en-US")).toEqual({ ok: true, minor: 2_450 });
    expect(read("¥12,500", "JPY", "ja-JP")).toEqual({ ok: true, minor: 12_500 });
  });

  it("lets the locale decide one mark before three digits, and refuses it when that reading has too many decimals", () => {
    expect(read("24,000", "USD", "en-US")).toEqual({ ok: true, minor: 2_400_000 });
    const unclear = read("24,000", "EUR", "de-DE");
    expect(unclear.ok).toBe(false);
    if (!unclear.ok) {
      expect(unclear.message).toContain("“24,000” is unclear");
      expect(unclear.message).toContain("in de-DE “,” marks decimals");
      expect(unclear.message).toContain("24.000");
    }
  });

  it("refuses another currency, signs, letters, odd grouping and extra decimals, saying what it read", () => {
    const cases: [string, string, string, string][] = [
      ["€100", "USD", "en-US", "names “€”, not this deal's currency (USD)"],
      ["100 GBP", "USD", "en-US", "names “GBP”"],
      ["-5", "USD", "en-US", "must not be negative"],
      ["24k", "USD", "en-US", "is not an amount: write it like 12,500.00"],
      ["24k", "EUR", "de-DE", "write it like 12.500,00"],
      ["12,34,567", "USD", "en-US", "not between groups of three digits"],
      ["1.5", "JPY", "ja-JP", "JPY has none"],
      ["0.005", "USD", "en-US", "reads as 0.005: USD has only 2 decimals"],
      ["12,,3", "USD", "en-US", "is not an amount"],
      ["9".repeat(41), "USD", "en-US", "is too long"],
      ["99999999999999", "USD", "en-US", "is too large"],
    ];
    for (const [text, currency, locale, message] of cases) {
      const result = read(text, currency, locale);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.message).toContain(message);
    }
  });

  it("stays linear on long hostile input (capped)", () => {
    const started = performance.now();
    for (let i = 0; i < 100; i++) read(`${"1,".repeat(10_000)}x`, "USD", "en-US");
    expect(performance.now() - started).toBeLessThan(500);
  });
});

const T = "amounts";
const OWNER = `owner@${T}.test`;
const MEMBER = `member@${T}.test`;
const dir = tempDir("crm-amounts-");
let server: TestServer;
let call: ReturnType<typeof api>;

beforeAll(async () => {
  const data = new DataDir(dir.path);
  await data.tenant(T, OWNER);
  await data.user(T, MEMBER, "member");
  const key = await data.apiKey(T, "owner");
  data.close();
  server = await startServer({ dataDir: dir.path });
  call = api(server.url, key);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  dir.remove();
});

const dealCount = async () => (await call("GET", `/t/${T}/deals?limit=100`)).json.data.length as number;

describe("the workspace's currency and locale, and the deal form", () => {
  it("are refused for a member, and refused inline with nothing written for a bad code", async () => {
    const member = await signIn(server.url, T, MEMBER, PASSWORD);
    expect(
      (await member.post(`/t/${T}/settings/workspace/money`, { currency: "EUR", locale: "de-DE" })).status,
    ).toBe(403);
    const owner = await signIn(server.url, T, OWNER, PASSWORD);
    const page = await owner.get(`/t/${T}/settings/workspace`);
    expect(page.text).toContain("Changing it does not convert any amount");
    const bad = await owner.post(`/t/${T}/settings/workspace/money`, { currency: "EURO", locale: "xx-YY" });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain("must be an ISO 4217 currency code");
    expect(bad.text).toContain("must be one of the listed locales");
    expect(bad.text).toContain('value="EURO"');
    expect((await owner.get(`/t/${T}/settings/workspace`)).text).toContain('value="USD"');
  });

  it('reads "$24,000" in en-US and shows $24,000.00', async () => {
    const owner = await signIn(server.url, T, OWNER, PASSWORD);
    await owner.get(`/t/${T}/deals/new`);
    const made = await owner.post(`/t/${T}/deals`, {
      title: "Boiler refit",
      amount: "$24,000",
      currency: "USD",
    });
    expect(made.status).toBe(303);
    const id = Number(made.headers.get("location")?.split("/").pop());
    expect((await call("GET", `/t/${T}/deals/${id}`)).json.amountCents).toBe(2_400_000);
    expect((await owner.get(`/t/${T}/deals/${id}`)).text).toContain("$24,000.00");
  });

  it('after switching to EUR and de-DE: reads "€ 1.234,5", shows 1.234,50 €, and the edit form round-trips it unchanged', async () => {
    const owner = await signIn(server.url, T, OWNER, PASSWORD);
    await owner.get(`/t/${T}/settings/workspace`);
    const saved = await owner.post(`/t/${T}/settings/workspace/money`, { currency: "eur", locale: "de-DE" });
    expect(saved.status).toBe(303);
    expect((await owner.get(`/t/${T}/settings/workspace?saved=money`)).text).toContain("Saved: EUR, de-DE.");

    const form = await owner.get(`/t/${T}/deals/new`);
    expect(form.text).toContain('name="currency" type="text" value="EUR"');
    expect(form.text).toContain('placeholder="12.500,00"');
    const made = await owner.post(`/t/${T}/deals`, {
      title: "Heat pump",
      amount: "€ 1.234,5",
      currency: "EUR",
    });
    expect(made.status).toBe(303);
    const id = Number(made.headers.get("location")?.split("/").pop());
    expect((await call("GET", `/t/${T}/deals/${id}`)).json).toMatchObject({
      amountCents: 123_450,
      currency: "EUR",
    });
    const shown = decodeEntities((await owner.get(`/t/${T}/deals/${id}`)).text);
    expect(shown).toContain("1.234,50\u00a0€");
    // The earlier USD deal keeps its currency and number, shown the de-DE way: nothing converted.
    expect(decodeEntities((await owner.get(`/t/${T}/deals`)).text)).toContain("24.000,00\u00a0$");

    const edit = await owner.get(`/t/${T}/deals/${id}/edit`);
    const typed = /name="amount" type="text" value="([^"]*)"/.exec(edit.text)?.[1];
    expect(typed).toBe("1234,50");
    const again = await owner.post(`/t/${T}/deals/${id}`, {
      title: "Heat pump",
      amount: typed ?? "",
      currency: "EUR",
    });
    expect(again.status).toBe(303);
    expect((await call("GET", `/t/${T}/deals/${id}`)).json.amountCents).toBe(123_450);
  });

  it("refuses an unclear amount inline, naming what it read, and writes nothing", async () => {
    const owner = await signIn(server.url, T, OWNER, PASSWORD);
    await owner.get(`/t/${T}/deals/new`);
    const before = await dealCount();
    const refused = await owner.post(`/t/${T}/deals`, {
      title: "Radiators",
      amount: "24,000",
      currency: "EUR",
    });
    expect(refused.status).toBe(422);
    const text = decodeEntities(refused.text);
    expect(text).toContain("“24,000” is unclear: in de-DE “,” marks decimals");
    expect(refused.text).toContain('aria-invalid="true"');
    expect(text).toContain('value="24,000"');
    expect(await dealCount()).toBe(before);
  });

  it("leaves the JSON API with numbers: a string amount is still a 422", async () => {
    const refused = await call("POST", `/t/${T}/deals`, { title: "API deal", amountCents: "24,000" });
    expect(refused.status).toBe(422);
    const made = await call("POST", `/t/${T}/deals`, { title: "API deal", amountCents: 2_400_000 });
    expect(made.status).toBe(201);
    expect(made.json.amountCents).toBe(2_400_000);
  });
});
