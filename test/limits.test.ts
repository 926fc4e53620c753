import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

let server: TestServer;
const dir = tempDir();
let data: DataDir;
let owner: BrowserClient;
let member: BrowserClient;
let call: ReturnType<typeof api>;
let admin: ReturnType<typeof api>;
let contactId: number;

const T = "/t/limits-co";

/** Rows a refused write must leave as they were. */
const counts = () =>
  data.shards.use(
    data.get("limits-co"),
    (s) =>
      s
        .statement(
          `SELECT (SELECT count(*) FROM notes) AS notes, (SELECT count(*) FROM interactions) AS interactions,
           (SELECT count(*) FROM custom_fields) AS fields, (SELECT count(*) FROM saved_views) AS views`,
        )
        .get() as { notes: number; interactions: number; fields: number; views: number },
  );

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant("limits-co", "owner@limits.test");
  await data.user("limits-co", "member@limits.test", "member");
  server = await startServer({ dataDir: dir.path });
  owner = await signIn(server.url, "limits-co", "owner@limits.test");
  member = await signIn(server.url, "limits-co", "member@limits.test");
  call = api(server.url, await data.apiKey("limits-co"));
  admin = api(server.url, await data.apiKey("limits-co", "admin"));
  contactId = (await call("POST", `${T}/contacts`, { firstName: "Noted" })).json.id;
});

afterAll(async () => {
  await server.stop();
  data.close();
  dir.remove();
});

describe("a note holds at most 10,000 characters", () => {
  const subject = () => ({ subjectType: "contact", subjectId: contactId });
  /**
   * 10,000 characters, many outside ASCII: é (two bytes in UTF-8) and emoji (four bytes in UTF-8,
   * two UTF-16 units in JavaScript). Characters count, not bytes and not UTF-16 units.
   */
  const longest = `${"😀".repeat(1_000)}${"é".repeat(1_000)}${"x".repeat(8_000)}`;

  it("through the API: 10,000 characters (emoji among them) are kept whole, 10,001 are a 422 naming body, and nothing is written", async () => {
    expect([...longest].length).toBe(10_000);
    expect(longest.length).toBe(11_000);
    const kept = await call("POST", `${T}/notes`, { ...subject(), body: longest });
    expect(kept.status).toBe(201);
    expect((await call("GET", `${T}/notes/${kept.json.id}`)).json.body).toBe(longest);

    const before = await counts();
    const refused = await call("POST", `${T}/notes`, { ...subject(), body: `${longest}😀` });
    expect(refused.status).toBe(422);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(refused.json.errors).toEqual([{ field: "body", message: "must be at most 10,000 characters" }]);
    const edit = await call("PATCH", `${T}/notes/${kept.json.id}`, { body: `${longest}y` });
    expect(edit.status).toBe(422);
    expect(edit.json.errors).toEqual([{ field: "body", message: "must be at most 10,000 characters" }]);
    expect((await call("GET", `${T}/notes/${kept.json.id}`)).json.body).toBe(longest);
    // An edit to exactly 10,000 characters, all of them emoji, is kept whole.
    const allEmoji = "🎉".repeat(10_000);
    const edited = await call("PATCH", `${T}/notes/${kept.json.id}`, { body: allEmoji });
    expect(edited.status).toBe(200);
    expect((await call("GET", `${T}/notes/${kept.json.id}`)).json.body).toBe(allEmoji);
    expect((await call("PATCH", `${T}/notes/${kept.json.id}`, { body: `${allEmoji}🎉` })).status).toBe(422);
    expect((await call("GET", `${T}/notes/${kept.json.id}`)).json.body).toBe(allEmoji);
    // The refusals wrote nothing; the one kept edit is logged (note.updated), as every change is.
    expect(await counts()).toEqual({ ...before, interactions: before.interactions + 1 });
  });

  it("on the page: 10,000 characters (emoji among them) are added to the timeline, 10,001 get the message in place (htmx) or on an error page, and nothing is written", async () => {
    await owner.get(`/t/limits-co/contacts/${contactId}`);
    const body = `${"🌍".repeat(2_000)}${"z".repeat(7_999)}!`;
    expect([...body].length).toBe(10_000);
    const added = await owner.htmx("POST", `${T}/notes`, { ...stringFields(subject()), body });
    expect(added.status).toBe(201);
    expect(added.text).toContain(`>${body}</div>`);

    const before = await counts();
    const inPlace = await owner.htmx("POST", `${T}/notes`, { ...stringFields(subject()), body: `${body}!` });
    expect(inPlace.status).toBe(422);
    expect(inPlace.headers.get("hx-retarget")).toBe("#flash");
    expect(inPlace.text).toBe('<p class="flash error">Body must be at most 10,000 characters</p>');
    const withoutScript = await owner.post(`${T}/notes`, { ...stringFields(subject()), body: `${body}!` });
    expect(withoutScript.status).toBe(422);
    expect(withoutScript.text).toContain("body: must be at most 10,000 characters");
    expect(await counts()).toEqual(before);
    // The form says so before anything is sent, too.
    expect((await owner.get(`/t/limits-co/contacts/${contactId}`)).text).toContain(
      '<textarea id="note-body" name="body" rows="3" maxlength="10000" required',
    );
  });
});

describe("at most 50 custom fields per kind of record", () => {
  it("the 51st contact field is refused through the API and on the settings page, writing nothing; other kinds still have room", async () => {
    for (let i = 1; i <= 50; i++) {
      const created = await admin("POST", `${T}/custom-fields`, {
        entity: "contact",
        key: `field_${i}`,
        label: `Field ${i}`,
        type: "text",
      });
      expect([i, created.status]).toEqual([i, 201]);
    }
    const before = await counts();
    const refused = await admin("POST", `${T}/custom-fields`, {
      entity: "contact",
      key: "field_51",
      label: "Field 51",
      type: "text",
    });
    expect(refused.status).toBe(422);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(refused.json.errors).toEqual([
      { field: "key", message: "at most 50 custom fields per kind of record" },
    ]);

    await owner.get(`${T}/settings/fields`);
    const onPage = await owner.post(`${T}/settings/fields`, {
      entity: "contact",
      label: "Field 51",
      key: "",
      type: "text",
      options: "",
    });
    expect(onPage.status).toBe(422);
    expect(onPage.text).toMatch(/id="new-field-key-error">at most 50 custom fields per kind of record</);
    expect(onPage.text).toContain('value="Field 51"');
    expect(await counts()).toEqual(before);
    expect((await admin("GET", `${T}/custom-fields`)).json.data).toHaveLength(50);

    const company = await admin("POST", `${T}/custom-fields`, {
      entity: "company",
      key: "field_1",
      label: "Field 1",
      type: "text",
    });
    expect(company.status).toBe(201);
    // Room again once one goes.
    const first = (await admin("GET", `${T}/custom-fields`)).json.data.find(
      (f: { entity: string; key: string }) => f.entity === "contact" && f.key === "field_1",
    );
    expect((await admin("DELETE", `${T}/custom-fields/${first.id}`)).status).toBe(204);
    expect(
      (
        await admin("POST", `${T}/custom-fields`, {
          entity: "contact",
          key: "field_51",
          label: "F",
          type: "text",
        })
      ).status,
    ).toBe(201);
  });
});

describe("at most 50 saved views each", () => {
  it("a person's views count across lists: 50 spread over contacts, companies and deals, the 51st on any list is refused with the reason on the page, writing nothing; others still save theirs", async () => {
    const lists = ["contacts", "companies", "deals"] as const;
    await member.get(`${T}/contacts`);
    for (let i = 1; i <= 50; i++) {
      const list = lists[i % 3] as string;
      const saved = await member.post(`${T}/views`, { list, name: `View ${i}`, query: `q=v${i}` });
      expect([i, list, saved.status]).toEqual([i, list, 303]);
    }
    // No list holds 50 of them: 16, 17 and 17.
    const perList = await data.shards.use(data.get("limits-co"), (s) =>
      s.statement("SELECT entity, count(*) AS n FROM saved_views GROUP BY entity ORDER BY entity").all(),
    );
    expect(perList).toEqual([
      { entity: "companies", n: 17 },
      { entity: "contacts", n: 16 },
      { entity: "deals", n: 17 },
    ]);
    const before = await counts();
    for (const list of lists) {
      const refused = await member.post(`${T}/views`, { list, name: "View 51", query: "q=v51" });
      expect([list, refused.status]).toEqual([list, 422]);
      expect(refused.text).toContain(
        '<ul class="form-errors" role="alert"><li>name: at most 50 saved views each</li></ul>',
      );
      expect(refused.text).toContain("Nothing was changed");
    }
    expect(await counts()).toEqual(before);
    const bar = (list: string) =>
      member
        .get(`${T}/${list}`)
        .then((page) => page.text.match(/<nav class="saved-views"[\s\S]*?<\/nav>/)?.[0] ?? "");
    const deals = await bar("deals");
    expect(deals).toContain(">View 50</a>");
    expect(deals).not.toContain("View 51");

    await owner.get(`${T}/contacts`);
    expect((await owner.post(`${T}/views`, { list: "deals", name: "Mine", query: "" })).status).toBe(303);
  });
});

function stringFields(fields: Record<string, string | number>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)]));
}
