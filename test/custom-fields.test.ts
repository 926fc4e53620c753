import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

let server: TestServer;
const dir = tempDir();
let data: DataDir;
let owner: BrowserClient;
let admin: ReturnType<typeof api>;
let member: ReturnType<typeof api>;

/** Row counts that a refused write must leave alone. */
const counts = () =>
  data.shards.use(
    data.get("fields-co"),
    (s) =>
      s
        .statement(
          "SELECT (SELECT count(*) FROM custom_fields) AS fields, (SELECT count(*) FROM custom_values) AS vals, (SELECT count(*) FROM contacts) AS contacts",
        )
        .get() as { fields: number; vals: number; contacts: number },
  );

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant("fields-co", "owner@fields.test");
  await data.user("fields-co", "viewer@fields.test", "read-only");
  server = await startServer({ dataDir: dir.path });
  owner = await signIn(server.url, "fields-co", "owner@fields.test");
  admin = api(server.url, await data.apiKey("fields-co", "admin"));
  member = api(server.url, await data.apiKey("fields-co", "member"));
});

afterAll(async () => {
  await server.stop();
  data.close();
  dir.remove();
});

const T = "/t/fields-co";

describe("custom field definitions", () => {
  it("are created through the API by admins, and refused for members", async () => {
    const region = await admin("POST", `${T}/custom-fields`, {
      entity: "contact",
      key: "region",
      label: "Region",
      type: "multiselect",
      options: ["EMEA", "APAC", "Americas"],
    });
    expect(region.status).toBe(201);
    expect(region.json).toMatchObject({
      key: "region",
      type: "multiselect",
      options: ["EMEA", "APAC", "Americas"],
    });
    for (const body of [
      { entity: "contact", key: "score", label: "Score", type: "number" },
      { entity: "contact", key: "renewal", label: "Renewal", type: "date" },
      { entity: "contact", key: "vip", label: "VIP", type: "checkbox" },
      { entity: "contact", key: "tier", label: "Tier", type: "select", options: ["Gold", "Silver"] },
      { entity: "contact", key: "nickname", label: "<b>Nick</b>name", type: "text" },
      { entity: "deal", key: "source", label: "Source", type: "select", options: ["Web", "Referral"] },
    ]) {
      expect((await admin("POST", `${T}/custom-fields`, body)).status).toBe(201);
    }
    const refused = await member("POST", `${T}/custom-fields`, {
      entity: "contact",
      key: "x",
      label: "X",
      type: "text",
    });
    expect(refused.status).toBe(403);
  });

  it("refuse names with quotes, SQL or HTML, unknown types and selects without options, writing nothing", async () => {
    const before = await counts();
    for (const [body, field] of [
      [{ entity: "contact", key: 'a"; DROP TABLE contacts; --', label: "A", type: "text" }, "key"],
      [{ entity: "contact", key: "<script>", label: "A", type: "text" }, "key"],
      [{ entity: "contact", key: "a'b", label: "A", type: "text" }, "key"],
      [{ entity: "contact", key: "Region", label: "A", type: "text" }, "key"],
      [{ entity: "contact", key: "region", label: "Again", type: "text" }, "key"],
      [{ entity: "contact", key: "ok", label: "A", type: "formula" }, "type"],
      [{ entity: "contact", key: "ok", label: "A", type: "select" }, "options"],
      [{ entity: "contact", key: "ok", label: "A", type: "text", options: ["x"] }, "options"],
      [{ entity: "contract", key: "ok", label: "A", type: "text" }, "entity"],
      [{ entity: "contact", key: "ok", label: "line\nbreak", type: "text" }, "label"],
    ] as const) {
      const response = await admin("POST", `${T}/custom-fields`, body);
      expect(response.status).toBe(422);
      expect(response.headers.get("content-type")).toContain("application/problem+json");
      expect(response.json.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect(await counts()).toEqual(before);
  });

  it("are listed for the API", async () => {
    const list = await member("GET", `${T}/custom-fields`);
    expect(list.status).toBe(200);
    expect(list.json.data.map((f: { key: string }) => f.key)).toEqual([
      "region",
      "score",
      "renewal",
      "vip",
      "tier",
      "nickname",
      "source",
    ]);
  });
});

describe("custom values through the API", () => {
  const people: { id: number; score: number | null; region: string[] }[] = [];

  it("are written with the record, read back, and logged as changes", async () => {
    const rows = [
      { name: "Ada", score: 30, region: ["EMEA"], vip: true, tier: "Gold", renewal: "2027-01-31" },
      { name: "Bo", score: 10, region: ["APAC", "EMEA"], vip: false, tier: "Silver", renewal: "2026-12-01" },
      { name: "Cy", score: 20, region: ["Americas"], vip: true, tier: null, renewal: null },
      { name: "Di", score: null, region: [], vip: false, tier: null, renewal: null },
      { name: "Ed", score: 25.5, region: ["APAC"], vip: false, tier: "Gold", renewal: "2027-06-15" },
    ];
    for (const r of rows) {
      const created = await member("POST", `${T}/contacts`, {
        firstName: r.name,
        customFields: { score: r.score, region: r.region, vip: r.vip, tier: r.tier, renewal: r.renewal },
      });
      expect(created.status).toBe(201);
      expect(created.json.customFields.score ?? null).toBe(r.score);
      people.push({ id: created.json.id, score: r.score, region: r.region });
    }
    const ada = await member("GET", `${T}/contacts/${people[0]?.id}`);
    expect(ada.json.customFields).toEqual({
      region: ["EMEA"],
      score: 30,
      renewal: "2027-01-31",
      vip: true,
      tier: "Gold",
    });

    const patched = await member("PATCH", `${T}/contacts/${people[0]?.id}`, {
      customFields: { score: 35, tier: null },
    });
    expect(patched.status).toBe(200);
    expect(patched.json.customFields.score).toBe(35);
    expect(patched.json.customFields.tier).toBeUndefined();
    (people[0] as { score: number }).score = 35;
    const history = await member("GET", `${T}/interactions?subjectType=contact&subjectId=${people[0]?.id}`);
    const update = history.json.data.find((i: { kind: string }) => i.kind === "contact.updated");
    expect(update.payload.changes["customFields.score"]).toEqual([30, 35]);
    expect(update.payload.changes["customFields.tier"]).toEqual(["Gold", null]);
  });

  it("refuses bad values naming the field, and writes nothing", async () => {
    const before = await counts();
    for (const [customFields, field] of [
      [{ score: "lots" }, "customFields.score"],
      [{ renewal: "31/01/2027" }, "customFields.renewal"],
      [{ renewal: "2027-02-30" }, "customFields.renewal"],
      [{ vip: "yes" }, "customFields.vip"],
      [{ tier: "Platinum" }, "customFields.tier"],
      [{ region: ["Mars"] }, "customFields.region"],
      [{ region: "EMEA" }, "customFields.region"],
      [{ unknown_field: 1 }, "customFields.unknown_field"],
      [{ source: "Web" }, "customFields.source"],
      ["not an object", "customFields"],
    ] as const) {
      const response = await member("POST", `${T}/contacts`, { firstName: "Nope", customFields });
      expect(response.status).toBe(422);
      expect(response.json.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    const patch = await member("PATCH", `${T}/contacts/${people[1]?.id}`, {
      firstName: "Changed",
      customFields: { score: "x" },
    });
    expect(patch.status).toBe(422);
    expect((await member("GET", `${T}/contacts/${people[1]?.id}`)).json.firstName).toBe("Bo");
    expect(await counts()).toEqual(before);
  });

  it("filter lists by equality, by a multi-select's option and by a checkbox", async () => {
    const ids = async (query: string) => {
      const response = await member("GET", `${T}/contacts?${query}`);
      expect(response.status).toBe(200);
      return response.json.data.map((c: { firstName: string }) => c.firstName).sort();
    };
    expect(await ids("cf=region:EMEA")).toEqual(["Ada", "Bo"]);
    expect(await ids("cf=region:APAC")).toEqual(["Bo", "Ed"]);
    expect(await ids("cf=vip:true")).toEqual(["Ada", "Cy"]);
    expect(await ids("cf=vip:false")).toEqual(["Bo", "Di", "Ed"]);
    expect(await ids("cf=tier:Gold")).toEqual(["Ed"]);
    expect(await ids("cf=score:20")).toEqual(["Cy"]);
    expect(await ids("cf=renewal:2026-12-01")).toEqual(["Bo"]);
    expect(await ids(`cf=${encodeURIComponent("region:EMEA")}&q=bo`)).toEqual(["Bo"]);
  });

  it("sort lists by a custom field across cursor pages, unset values lowest", async () => {
    const walk = async (order: "asc" | "desc") => {
      const names: string[] = [];
      let cursor = "";
      for (let i = 0; i < 10; i++) {
        const page = await member(
          "GET",
          `${T}/contacts?sort=cf.score&order=${order}&limit=2${cursor ? `&cursor=${cursor}` : ""}`,
        );
        expect(page.status).toBe(200);
        names.push(...page.json.data.map((c: { firstName: string }) => c.firstName));
        if (!page.json.nextCursor) break;
        cursor = encodeURIComponent(page.json.nextCursor);
      }
      return names;
    };
    expect(await walk("asc")).toEqual(["Di", "Bo", "Cy", "Ed", "Ada"]);
    expect(await walk("desc")).toEqual(["Ada", "Ed", "Cy", "Bo", "Di"]);
  });

  it("answer 400 for a sort or filter on a field that does not exist or is malformed", async () => {
    for (const query of [
      "sort=cf.nope",
      "sort=cf.score;DROP",
      `sort=${encodeURIComponent("cf.score' --")}`,
      "cf=nope:1",
      "cf=score:abc",
      "cf=vip:maybe",
      "cf=renewal:tomorrow",
      "cf=noseparator",
      "cf=score:",
      "sort=cf.source",
    ]) {
      const response = await member("GET", `${T}/contacts?${query}`);
      expect(response.status).toBe(400);
      expect(response.headers.get("content-type")).toContain("application/problem+json");
    }
  });
});

describe("custom fields on pages", () => {
  it("show in the contact list as escaped columns, filterable and sortable", async () => {
    const list = await owner.get(`${T}/contacts?sort=cf.score&order=desc`);
    expect(list.status).toBe(200);
    // Each custom column's header sorts by it (a link); the label stays escaped text.
    expect(list.text).toContain(
      '<th scope="col"><a class="sort" href="/t/fields-co/contacts?sort=cf.nickname&amp;order=desc">&lt;b&gt;Nick&lt;/b&gt;name</a></th>',
    );
    expect(list.text).toContain(
      '<th scope="col" aria-sort="descending"><a class="sort" href="/t/fields-co/contacts?sort=cf.score&amp;order=asc">Score',
    );
    expect(list.text).not.toContain("<b>Nick</b>");
    const order = [
      ...list.text.matchAll(/<tr id="contact-\d+">(?:<td><input [\s\S]*?<\/td>)?<td><a [^>]+>(\w+) /g),
    ].map((m) => m[1]);
    expect(order).toEqual(["Ada", "Ed", "Cy", "Bo", "Di"]);
    expect(list.text).toContain("<td>APAC, EMEA</td>");
    const filtered = await owner.get(`${T}/contacts?cf=${encodeURIComponent("region:EMEA")}`);
    expect(filtered.text).toContain("2 contacts match");
    expect(filtered.text).toContain('<option value="region:EMEA" selected>');
    expect((await owner.get(`${T}/contacts?cf=nope:1`)).status).toBe(400);
  });

  it("are filled in on the full form (checkboxes for a multi-select), saved, and shown on the record", async () => {
    const form = await owner.get(`${T}/contacts/new`);
    expect(form.text).toContain('name="cf.region"');
    expect(form.text).toContain('name="cf.vip"');
    const body = new URLSearchParams([
      ["_csrf", owner.csrfToken],
      ["_cf", "1"],
      ["firstName", "Flo"],
      ["ownerId", ""],
      ["cf.region", "EMEA"],
      ["cf.region", "Americas"],
      ["cf.score", "1,250"],
      ["cf.vip", "true"],
      ["cf.tier", "Silver"],
      ["cf.renewal", "2027-03-01"],
      ["cf.nickname", "<img src=x onerror=alert(1)>"],
    ]);
    const created = await owner.request("POST", `${T}/contacts`, {
      body,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(created.status).toBe(303);
    const path = created.headers.get("location") as string;
    const id = Number(path.split("/").pop());
    const json = await member("GET", `${T}/contacts/${id}`);
    expect(json.json.customFields).toEqual({
      region: ["Americas", "EMEA"],
      score: 1250,
      vip: true,
      tier: "Silver",
      renewal: "2027-03-01",
      nickname: "<img src=x onerror=alert(1)>",
    });
    const page = await owner.get(path);
    expect(page.text).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(page.text).not.toContain("<img src=x");
    expect(page.text).toContain("<dd>1,250</dd>");

    // The edit form shows the stored values; unticking the checkbox and every region clears them.
    const edit = await owner.get(`${path}/edit`);
    expect(edit.text).toMatch(/name="cf.region" value="EMEA" checked/);
    expect(edit.text).toMatch(/name="cf.vip" value="true" checked/);
    const saved = await owner.post(path, { _cf: "1", firstName: "Flo", ownerId: "", "cf.score": "7" });
    expect(saved.status).toBe(303);
    expect((await member("GET", `${T}/contacts/${id}`)).json.customFields).toEqual({ score: 7, vip: false });
  });

  it("show a bad value inline on the form, keep what was typed, and write nothing", async () => {
    await owner.get(`${T}/contacts/new`);
    const before = await counts();
    const response = await owner.post(`${T}/contacts`, {
      _cf: "1",
      firstName: "",
      "cf.score": "many",
      "cf.tier": "Bronze",
    });
    expect(response.status).toBe(422);
    expect(response.text).toMatch(/id="contact-cf.score-error">must be a number</);
    expect(response.text).toMatch(/id="contact-cf.tier-error">must be one of: Gold, Silver</);
    expect(response.text).toMatch(/id="contact-firstName-error">/);
    expect(response.text).toContain('value="many"');
    expect(await counts()).toEqual(before);
  });

  it("leave values alone when saved from the inline row editor, which does not carry them all", async () => {
    const ada = (await member("GET", `${T}/contacts?q=ada`)).json.data[0];
    await owner.get(`${T}/contacts`);
    const saved = await owner.htmx("POST", `${T}/contacts/${ada.id}`, {
      _fragment: "row",
      firstName: "Ada",
      lastName: "L",
    });
    expect(saved.status).toBe(200);
    expect((await member("GET", `${T}/contacts/${ada.id}`)).json.customFields.vip).toBe(true);
  });
});

describe("custom field settings page", () => {
  it("adds a field from the form (key from the label), renames it, trims its options, and deletes it with its values", async () => {
    await owner.get(`${T}/settings/fields`);
    const added = await owner.post(`${T}/settings/fields`, {
      entity: "company",
      label: "Industry segment",
      key: "",
      type: "select",
      options: "Retail\nHealth\n\nFinance",
    });
    expect(added.status).toBe(303);
    const field = (await member("GET", `${T}/custom-fields`)).json.data.find(
      (f: { key: string }) => f.key === "industry_segment",
    );
    expect(field).toMatchObject({ entity: "company", options: ["Retail", "Health", "Finance"] });

    const company = await member("POST", `${T}/companies`, {
      name: "Acme",
      customFields: { industry_segment: "Health" },
    });
    expect(company.status).toBe(201);
    await owner.get(`${T}/settings/fields`);
    expect(
      (await owner.post(`${T}/settings/fields/${field.id}`, { label: "Segment", options: "Retail\nFinance" }))
        .status,
    ).toBe(303);
    expect((await member("GET", `${T}/companies/${company.json.id}`)).json.customFields).toEqual({});
    const page = await owner.get(`${T}/settings/fields`);
    expect(page.text).toContain('value="Segment"');

    await member("PATCH", `${T}/companies/${company.json.id}`, {
      customFields: { industry_segment: "Retail" },
    });
    expect((await owner.post(`${T}/settings/fields/${field.id}/delete`, {})).status).toBe(303);
    const left = await data.shards.use(data.get("fields-co"), (s) =>
      s.statement("SELECT count(*) AS n FROM custom_values WHERE field_id = ?").get(field.id),
    );
    expect(left).toEqual({ n: 0 });
  });

  it("shows a bad definition inline and adds nothing; read-only users cannot change fields", async () => {
    await owner.get(`${T}/settings/fields`);
    const before = await counts();
    const bad = await owner.post(`${T}/settings/fields`, {
      entity: "contact",
      label: "<>",
      key: "",
      type: "text",
      options: "",
    });
    expect(bad.status).toBe(422);
    expect(bad.text).toMatch(/id="new-field-key-error">use 1–40 lower-case letters/);
    expect(await counts()).toEqual(before);

    const viewer = await signIn(server.url, "fields-co", "viewer@fields.test");
    const page = await viewer.get(`${T}/settings/fields`);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain("Add field");
    const refused = await viewer.post(`${T}/settings/fields`, {
      entity: "contact",
      label: "Sneaky",
      type: "text",
    });
    expect(refused.status).toBe(403);
    expect(await counts()).toEqual(before);
  });
});
