import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { Shard } from "../src/tenancy/shard.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

/**
 * Merging duplicate contacts and companies, end to end through the real server: everything
 * linked to the duplicate ends up on the survivor, the duplicate is gone, and a merge that is
 * refused or fails half way changes nothing.
 */

const HOME = "merge-home";
const OTHER = "merge-other";
const T = `/t/${HOME}`;

let server: TestServer;
const dir = tempDir();
let data: DataDir;
type Call = ReturnType<typeof api>;
let member: Call;
let readOnly: Call;
let otherMember: Call;
let memberPage: BrowserClient;
let readerPage: BrowserClient;

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
type Json = any;

const useShard = <T>(slug: string, fn: (shard: Shard) => T) => data.shards.use(data.get(slug), fn);

/** Every row of every table a merge may touch: equal before and after means nothing changed. */
const BUSINESS_TABLES = [
  "contacts",
  "companies",
  "deals",
  "deal_contacts",
  "contact_tags",
  "company_tags",
  "tags",
  "interactions",
  "notes",
  "tasks",
  "custom_values",
];
const everything = (slug = HOME) =>
  useShard(slug, (s) =>
    Object.fromEntries(
      BUSINESS_TABLES.map((t) => [t, s.statement(`SELECT * FROM ${t} ORDER BY 1, 2`).all()]),
    ),
  );

type Links = Record<"deals" | "interactions" | "tasks" | "notes" | "tags" | "customValues", number>;

/** What is linked to one contact, per table. */
const contactLinks = (id: number) =>
  useShard(
    HOME,
    (s) =>
      s
        .statement(
          `SELECT (SELECT count(*) FROM deal_contacts WHERE contact_id = ?1) AS deals,
            (SELECT count(*) FROM interactions WHERE subject_type = 'contact' AND subject_id = ?1) AS interactions,
            (SELECT count(*) FROM tasks WHERE subject_type = 'contact' AND subject_id = ?1) AS tasks,
            (SELECT count(*) FROM notes WHERE subject_type = 'contact' AND subject_id = ?1) AS notes,
            (SELECT count(*) FROM contact_tags WHERE contact_id = ?1) AS tags,
            (SELECT count(*) FROM custom_values WHERE record_id = ?1
              AND field_id IN (SELECT id FROM custom_fields WHERE entity = 'contact')) AS customValues`,
        )
        .get(id) as Links,
  );

/** What is linked to one company, per table. */
const companyLinks = (id: number) =>
  useShard(
    HOME,
    (s) =>
      s
        .statement(
          `SELECT (SELECT count(*) FROM contacts WHERE company_id = ?1) AS contacts,
            (SELECT count(*) FROM deals WHERE company_id = ?1) AS deals,
            (SELECT count(*) FROM interactions WHERE subject_type = 'company' AND subject_id = ?1) AS interactions,
            (SELECT count(*) FROM tasks WHERE subject_type = 'company' AND subject_id = ?1) AS tasks,
            (SELECT count(*) FROM notes WHERE subject_type = 'company' AND subject_id = ?1) AS notes,
            (SELECT count(*) FROM company_tags WHERE company_id = ?1) AS tags,
            (SELECT count(*) FROM custom_values WHERE record_id = ?1
              AND field_id IN (SELECT id FROM custom_fields WHERE entity = 'company')) AS customValues`,
        )
        .get(id) as Links & { contacts: number },
  );

const dealIdsOf = (contactId: number) =>
  useShard(HOME, (s) =>
    s
      .statement("SELECT deal_id FROM deal_contacts WHERE contact_id = ? ORDER BY deal_id")
      .values(contactId)
      .map(([id]) => Number(id)),
  );

async function created(call: Call, path: string, body: object): Promise<Json> {
  const response = await call("POST", path, body);
  if (response.status !== 201) throw new Error(`POST ${path}: ${response.status} ${response.text}`);
  return response.json;
}

/** A note, a task and a logged call about a record: what its timeline is made of. */
async function aboutRecord(subjectType: "contact" | "company", subjectId: number, label: string) {
  await created(member, `${T}/notes`, { subjectType, subjectId, body: `Note on ${label}` });
  await created(member, `${T}/tasks`, { title: `Follow up ${label}`, subjectType, subjectId });
  await created(member, `${T}/interactions`, {
    kind: "call",
    subjectType,
    subjectId,
    summary: `Called ${label}`,
  });
}

const searchIds = async (q: string, type: "contact" | "company") =>
  ((await member("GET", `${T}/search?q=${encodeURIComponent(q)}`)).json[type] as { id: number }[]).map(
    (h) => h.id,
  );

const kindsOn = async (subjectType: string, subjectId: number) =>
  (
    await member("GET", `${T}/interactions?subjectType=${subjectType}&subjectId=${subjectId}&limit=200`)
  ).json.data.map((e: { kind: string }) => e.kind);

beforeAll(async () => {
  server = await startServer({ dataDir: dir.path });
  data = new DataDir(dir.path);
  await data.tenant(HOME, "owner@merge.test");
  await data.tenant(OTHER, "owner@other-merge.test");
  await data.user(HOME, "member@merge.test", "member");
  await data.user(HOME, "reader@merge.test", "read-only");
  member = api(server.url, await data.apiKey(HOME, "member"));
  readOnly = api(server.url, await data.apiKey(HOME, "read-only"));
  otherMember = api(server.url, await data.apiKey(OTHER, "member"));
  const admin = api(server.url, await data.apiKey(HOME, "admin"));
  for (const field of [
    { entity: "contact", key: "score", label: "Score", type: "number" },
    { entity: "contact", key: "source", label: "Source", type: "text" },
    { entity: "company", key: "tier", label: "Tier", type: "select", options: ["gold", "silver"] },
  ]) {
    expect((await admin("POST", `${T}/custom-fields`, field)).status).toBe(201);
  }
  memberPage = await signIn(server.url, HOME, "member@merge.test");
  readerPage = await signIn(server.url, HOME, "reader@merge.test");
});

afterAll(async () => {
  await server.stop();
  data.close();
  dir.remove();
});

/** Two contacts that are the same person, each with deals, a timeline, tasks, notes, tags and custom values. */
async function duplicatePeople() {
  const company = await created(member, `${T}/companies`, { name: "Analytical Engines" });
  const survivor = await created(member, `${T}/contacts`, {
    firstName: "Ada",
    lastName: "Lovelace",
    email: "ada@old.example",
    title: "Countess",
    tags: ["vip", "lead"],
    customFields: { score: 5 },
  });
  const duplicate = await created(member, `${T}/contacts`, {
    firstName: "Augusta",
    lastName: "Byronsdottir",
    email: "ada@new.example",
    phone: "+44 20 7946 0001",
    title: "Mathematician",
    companyId: company.id,
    tags: ["lead", "speaker"],
    customFields: { score: 9, source: "conference" },
  });
  const deal = (title: string, contactIds: number[]) => created(member, `${T}/deals`, { title, contactIds });
  const shared = await deal("Engine order", [survivor.id, duplicate.id]);
  await deal("Survivor's deal", [survivor.id]);
  await deal("Duplicate's deal", [duplicate.id]);
  await aboutRecord("contact", survivor.id, "Ada");
  await aboutRecord("contact", duplicate.id, "Augusta");
  return { survivor, duplicate, company, shared };
}

describe("merging two contacts", () => {
  it("merge keeps every linked row: the survivor owns all of them, the duplicate is gone", async () => {
    const { survivor, duplicate, company, shared } = await duplicatePeople();
    const before = { s: await contactLinks(survivor.id), d: await contactLinks(duplicate.id) };
    const deals = [
      ...new Set([...(await dealIdsOf(survivor.id)), ...(await dealIdsOf(duplicate.id))]),
    ].sort();
    expect(Object.values(before.d).every((n) => n > 0)).toBe(true);
    expect(await searchIds("Byronsdottir", "contact")).toEqual([duplicate.id]);

    const response = await member("POST", `${T}/contacts/${survivor.id}/merge`, {
      duplicateId: duplicate.id,
      keep: { firstName: "survivor", email: "duplicate", "customFields.score": "duplicate" },
    });
    expect(response.status).toBe(200);

    // The chosen values, and the duplicate's where the survivor had none.
    expect(response.json).toMatchObject({
      id: survivor.id,
      firstName: "Ada",
      lastName: "Lovelace",
      email: "ada@new.example",
      phone: "+44 20 7946 0001",
      title: "Countess",
      companyId: company.id,
      tags: ["lead", "speaker", "vip"],
      customFields: { score: 9, source: "conference" },
    });
    // The same shape as GET /contacts/:id.
    expect((await member("GET", `${T}/contacts/${survivor.id}`)).json).toEqual(response.json);

    const after = { s: await contactLinks(survivor.id), d: await contactLinks(duplicate.id) };
    expect(after.s).toEqual({
      deals: deals.length,
      // Both timelines, plus contact.merged and contact.updated.
      interactions: before.s.interactions + before.d.interactions + 2,
      tasks: before.s.tasks + before.d.tasks,
      notes: before.s.notes + before.d.notes,
      tags: 3,
      customValues: 2,
    });
    expect(Object.values(after.d).every((n) => n === 0)).toBe(true);
    expect(await dealIdsOf(survivor.id)).toEqual(deals);
    expect((await member("GET", `${T}/deals/${shared.id}`)).json.contactIds).toEqual([survivor.id]);

    expect((await member("GET", `${T}/contacts/${duplicate.id}`)).status).toBe(404);
    expect(await searchIds("Byronsdottir", "contact")).toEqual([]);
    expect(await searchIds("Lovelace", "contact")).toEqual([survivor.id]);
    expect(await searchIds("ada@new.example", "contact")).toEqual([survivor.id]);
    await useShard(HOME, (s) =>
      s.statement("INSERT INTO contacts_fts(contacts_fts, rank) VALUES ('integrity-check', 1)").run(),
    );

    const timeline = (
      await member("GET", `${T}/interactions?subjectType=contact&subjectId=${survivor.id}&limit=200`)
    ).json.data as { kind: string; payload: Json }[];
    const merged = timeline.find((e) => e.kind === "contact.merged");
    expect(merged?.payload).toEqual({ mergedId: duplicate.id, name: "Augusta Byronsdottir" });
    const updated = timeline.find((e) => e.kind === "contact.updated");
    expect(updated?.payload.changes.email).toEqual(["ada@old.example", "ada@new.example"]);
    expect(updated?.payload.changes["customFields.score"]).toEqual([5, 9]);
    expect(timeline.map((e) => e.kind)).not.toContain("contact.deleted");
    expect(timeline.filter((e) => e.kind === "call")).toHaveLength(2);
  });

  it("merging a contact with itself is a 422 naming duplicateId, and nothing changes", async () => {
    const ada = await created(member, `${T}/contacts`, { firstName: "Solo" });
    const before = await everything();
    const response = await member("POST", `${T}/contacts/${ada.id}/merge`, { duplicateId: ada.id });
    expect(response.status).toBe(422);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(response.json.errors.map((e: { field: string }) => e.field)).toEqual(["duplicateId"]);
    expect(await everything()).toEqual(before);
  });

  it("refuses a bad body with 400/422 naming the field, and writes nothing", async () => {
    const a = await created(member, `${T}/contacts`, { firstName: "Refused" });
    const b = await created(member, `${T}/contacts`, { firstName: "Refused too" });
    const before = await everything();
    for (const [body, field] of [
      [{}, "duplicateId"],
      [{ duplicateId: "many" }, "duplicateId"],
      [{ duplicateId: b.id, keep: { email: "both" } }, "keep.email"],
      [{ duplicateId: b.id, keep: { birthday: "duplicate" } }, "keep.birthday"],
      [{ duplicateId: b.id, keep: { "customFields.nope": "duplicate" } }, "keep.customFields.nope"],
    ] as [object, string][]) {
      const response = await member("POST", `${T}/contacts/${a.id}/merge`, body);
      expect(`${JSON.stringify(body)} ${response.status}`).toBe(`${JSON.stringify(body)} 422`);
      expect(response.json.errors.map((e: { field: string }) => e.field)).toEqual([field]);
    }
    expect((await member("POST", `${T}/contacts/${a.id}/merge`, "{")).status).toBe(400);
    expect(await everything()).toEqual(before);
  });

  it("tags that together exceed the limit are a 422 naming tags, and nothing changes", async () => {
    const tags = (from: number) => Array.from({ length: 15 }, (_, i) => `t${from + i}`);
    const a = await created(member, `${T}/contacts`, { firstName: "Many", tags: tags(0) });
    const b = await created(member, `${T}/contacts`, { firstName: "Tags", tags: tags(10) });
    await aboutRecord("contact", b.id, "Tags");
    const before = await everything();
    const response = await member("POST", `${T}/contacts/${a.id}/merge`, { duplicateId: b.id });
    expect(response.status).toBe(422);
    expect(response.json.errors.map((e: { field: string }) => e.field)).toEqual(["tags"]);
    expect(await everything()).toEqual(before);
  });

  it("a merge that fails half way, after re-linking started, leaves nothing changed", async () => {
    const { survivor, duplicate } = await duplicatePeople();
    // The last step, deleting the duplicate, fails (as a full disk or an I/O error would):
    // by then its deals, notes, tasks and timeline have been moved.
    await useShard(HOME, (s) =>
      s.sqlite.run(
        `CREATE TRIGGER merge_test_refuse BEFORE DELETE ON contacts WHEN old.id = ${Number(duplicate.id)}
         BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`,
      ),
    );
    try {
      const before = await everything();
      const response = await member("POST", `${T}/contacts/${survivor.id}/merge`, {
        duplicateId: duplicate.id,
        keep: { email: "duplicate" },
      });
      expect(response.status).toBe(500);
      // It failed where the test made it fail: at the delete, after the re-linking.
      const failure = await server.waitForLine((l) => l.error === "refused by the test");
      expect(String(failure.stack)).toContain("mergeContacts");
      expect(await everything()).toEqual(before);
      expect((await member("GET", `${T}/contacts/${duplicate.id}`)).status).toBe(200);
    } finally {
      await useShard(HOME, (s) => s.sqlite.run("DROP TRIGGER merge_test_refuse"));
    }
    // The same merge goes through once nothing stands in its way.
    const retried = await member("POST", `${T}/contacts/${survivor.id}/merge`, { duplicateId: duplicate.id });
    expect(retried.status).toBe(200);
  });
});

describe("merging two companies", () => {
  it("moves the duplicate's people, deals, notes, tasks, timeline, tags and custom values to the survivor", async () => {
    const survivor = await created(member, `${T}/companies`, {
      name: "Northwind Traders",
      domain: "northwind.example",
      tags: ["retail"],
      customFields: { tier: "gold" },
    });
    const duplicate = await created(member, `${T}/companies`, {
      name: "Northwind Quixotic Trading",
      domain: "northwind-trading.example",
      city: "Seattle",
      tags: ["retail", "wholesale"],
      customFields: { tier: "silver" },
    });
    for (const [companyId, n] of [
      [survivor.id, 2],
      [duplicate.id, 1],
    ]) {
      for (let i = 0; i < n; i++) {
        await created(member, `${T}/contacts`, { firstName: `Person ${i}`, companyId });
        await created(member, `${T}/deals`, { title: `Deal ${i}`, companyId });
      }
    }
    await created(member, `${T}/deals`, { title: "Another deal", companyId: duplicate.id });
    await aboutRecord("company", survivor.id, "Northwind");
    await aboutRecord("company", duplicate.id, "Northwind Quixotic");
    const before = { s: await companyLinks(survivor.id), d: await companyLinks(duplicate.id) };
    expect(Object.values(before.d).every((n) => n > 0)).toBe(true);

    const response = await member("POST", `${T}/companies/${survivor.id}/merge`, {
      duplicateId: duplicate.id,
      keep: { domain: "duplicate" },
    });
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({
      id: survivor.id,
      name: "Northwind Traders",
      domain: "northwind-trading.example",
      city: "Seattle",
      tags: ["retail", "wholesale"],
      customFields: { tier: "gold" },
    });
    expect((await member("GET", `${T}/companies/${survivor.id}`)).json).toEqual(response.json);

    expect(await companyLinks(survivor.id)).toEqual({
      contacts: before.s.contacts + before.d.contacts,
      deals: before.s.deals + before.d.deals,
      interactions: before.s.interactions + before.d.interactions + 2,
      tasks: before.s.tasks + before.d.tasks,
      notes: before.s.notes + before.d.notes,
      tags: 2,
      customValues: 1,
    });
    expect(Object.values(await companyLinks(duplicate.id)).every((n) => n === 0)).toBe(true);
    expect((await member("GET", `${T}/companies/${duplicate.id}`)).status).toBe(404);
    expect(await searchIds("Quixotic", "company")).toEqual([]);
    expect(await searchIds("Northwind", "company")).toEqual([survivor.id]);
    const kinds = await kindsOn("company", survivor.id);
    expect(kinds).toContain("company.merged");
    expect(kinds).not.toContain("company.deleted");
  });

  it("a company merged with itself is a 422, and nothing changes", async () => {
    const co = await created(member, `${T}/companies`, { name: "Lonely Co" });
    const before = await everything();
    const response = await member("POST", `${T}/companies/${co.id}/merge`, { duplicateId: co.id });
    expect(response.status).toBe(422);
    expect(response.json.errors.map((e: { field: string }) => e.field)).toEqual(["duplicateId"]);
    expect(await everything()).toEqual(before);
  });
});

describe("who may merge what", () => {
  it("another workspace's record is a 404 either way round, through the API and the pages, and nothing changes in either", async () => {
    const ours = await created(member, `${T}/contacts`, { firstName: "Ours" });
    const ourCompany = await created(member, `${T}/companies`, { name: "Our Co" });
    const theirs = await created(otherMember, `/t/${OTHER}/contacts`, { firstName: "Theirs" });
    const theirCompany = await created(otherMember, `/t/${OTHER}/companies`, { name: "Their Co" });
    const before = { home: await everything(), other: await everything(OTHER) };

    for (const [path, body] of [
      [`/contacts/${ours.id}/merge`, { duplicateId: theirs.id }],
      [`/contacts/${theirs.id}/merge`, { duplicateId: ours.id }],
      [`/companies/${ourCompany.id}/merge`, { duplicateId: theirCompany.id }],
      [`/companies/${theirCompany.id}/merge`, { duplicateId: ourCompany.id }],
    ] as [string, object][]) {
      const response = await member("POST", `${T}${path}`, body);
      expect(`${path} ${response.status}`).toBe(`${path} 404`);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
    }
    // Their key is no key here.
    expect(
      (await otherMember("POST", `${T}/contacts/${ours.id}/merge`, { duplicateId: theirs.id })).status,
    ).toBe(401);

    expect((await memberPage.get(`${T}/contacts/${ours.id}/merge?with=${theirs.id}`)).status).toBe(404);
    expect((await memberPage.get(`${T}/contacts/${theirs.id}/merge`)).status).toBe(404);
    expect(
      (await memberPage.get(`${T}/companies/${ourCompany.id}/merge?with=${theirCompany.id}`)).status,
    ).toBe(404);
    await memberPage.get(`${T}/contacts/${ours.id}`);
    const posted = await memberPage.post(`${T}/contacts/${ours.id}/merge`, { with: String(theirs.id) });
    expect(posted.status).toBe(404);

    expect(await everything()).toEqual(before.home);
    expect(await everything(OTHER)).toEqual(before.other);
  });

  it("read-only keys and users get 403 and nothing changes; visitors are sent to sign in", async () => {
    const a = await created(member, `${T}/contacts`, { firstName: "Keep" });
    const b = await created(member, `${T}/contacts`, { firstName: "Fold" });
    const co = await created(member, `${T}/companies`, { name: "Keep Co" });
    const before = await everything();
    expect((await readOnly("POST", `${T}/contacts/${a.id}/merge`, { duplicateId: b.id })).status).toBe(403);
    expect((await readOnly("POST", `${T}/companies/${co.id}/merge`, { duplicateId: co.id })).status).toBe(
      403,
    );

    const page = await readerPage.get(`${T}/contacts/${a.id}`);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain(`${T}/contacts/${a.id}/merge`);
    expect((await readerPage.get(`${T}/contacts/${a.id}/merge?with=${b.id}`)).status).toBe(403);
    expect((await readerPage.get(`${T}/companies/${co.id}/merge`)).status).toBe(403);
    expect((await readerPage.post(`${T}/contacts/${a.id}/merge`, { with: String(b.id) })).status).toBe(403);
    expect(await everything()).toEqual(before);

    const visitor = await fetch(`${server.url}${T}/contacts/${a.id}/merge?with=${b.id}`, {
      redirect: "manual",
    });
    expect(visitor.status).toBe(303);
    expect(visitor.headers.get("location")).toStartWith(`${T}/login`);
  });
});

describe("the merge pages, without JavaScript", () => {
  it("finds the duplicate, compares the two, merges with a value picked from the duplicate, and lands on the survivor", async () => {
    const survivor = await created(member, `${T}/contacts`, {
      firstName: "Grace",
      lastName: "Hopper",
      email: "grace@navy.example",
      title: "Rear Admiral",
    });
    const duplicate = await created(member, `${T}/contacts`, {
      firstName: "Grace",
      lastName: "Hopper",
      email: "amazing.grace@cobol.example",
      phone: "+1 202 555 0142",
    });
    await aboutRecord("contact", duplicate.id, "Amazing Grace");

    const recordPage = await memberPage.get(`${T}/contacts/${survivor.id}`);
    expect(recordPage.text).toContain(`href="${T}/contacts/${survivor.id}/merge"`);

    // The search starts from the survivor's name and lists the namesake, not the survivor itself.
    const pick = await memberPage.get(`${T}/contacts/${survivor.id}/merge`);
    expect(pick.status).toBe(200);
    expect(pick.text).toContain(`href="${T}/contacts/${survivor.id}/merge?with=${duplicate.id}"`);
    expect(pick.text).not.toContain(`merge?with=${survivor.id}"`);

    const compare = await memberPage.get(`${T}/contacts/${survivor.id}/merge?with=${duplicate.id}`);
    expect(compare.status).toBe(200);
    expect(compare.text).toContain("amazing.grace@cobol.example");
    expect(compare.text).toContain('name="_csrf"');
    expect(compare.text).toContain("(1 note, 1 task and ");
    // By default the survivor's values, and the duplicate's where the survivor has none.
    const checked = Object.fromEntries(
      [...compare.text.matchAll(/<input type="radio" name="(keep\.[\w.]+)" value="(\w+)" checked>/g)].map(
        (m) => [m[1], m[2]],
      ),
    );
    expect(checked).toMatchObject({
      "keep.email": "survivor",
      "keep.phone": "duplicate",
      "keep.title": "survivor",
    });

    // A tampered choice comes back as the comparison with the problem on its row.
    const refused = await memberPage.post(`${T}/contacts/${survivor.id}/merge`, {
      with: String(duplicate.id),
      "keep.email": "neither",
    });
    expect(refused.status).toBe(422);
    expect(refused.text).toContain("must be survivor or duplicate");
    expect(refused.text).toContain(`name="with" value="${duplicate.id}"`);
    expect((await member("GET", `${T}/contacts/${duplicate.id}`)).status).toBe(200);

    const merged = await memberPage.post(`${T}/contacts/${survivor.id}/merge`, {
      ...(checked as Record<string, string>),
      with: String(duplicate.id),
      "keep.email": "duplicate",
    });
    expect(merged.status).toBe(303);
    expect(merged.headers.get("location")).toBe(`${T}/contacts/${survivor.id}`);
    const landed = await memberPage.get(`${T}/contacts/${survivor.id}`);
    expect(landed.text).toContain("amazing.grace@cobol.example");
    expect(landed.text).toContain("+1 202 555 0142");
    expect(landed.text).toContain("Rear Admiral");
    expect(landed.text).toContain("Called Amazing Grace");
    expect(landed.text).toContain("Merged</strong> Grace Hopper into this record");
    expect((await memberPage.get(`${T}/contacts/${duplicate.id}`)).status).toBe(404);
  });

  it("a contact cannot be picked as its own duplicate (422), and a company's pages work the same way", async () => {
    const ada = await created(member, `${T}/contacts`, { firstName: "Selfsame" });
    expect((await memberPage.get(`${T}/contacts/${ada.id}/merge?with=${ada.id}`)).status).toBe(422);
    await memberPage.get(`${T}/contacts/${ada.id}`);
    const self = await memberPage.post(`${T}/contacts/${ada.id}/merge`, { with: String(ada.id) });
    expect(self.status).toBe(422);
    expect(self.text).toContain("must be another contact than this one");

    const a = await created(member, `${T}/companies`, { name: "Globex Corporation" });
    const b = await created(member, `${T}/companies`, { name: "Globex Corp", city: "Springfield" });
    const companyPage = await memberPage.get(`${T}/companies/${a.id}`);
    expect(companyPage.text).toContain(`href="${T}/companies/${a.id}/merge"`);
    const pick = await memberPage.get(`${T}/companies/${a.id}/merge?q=globex`);
    expect(pick.text).toContain(`merge?with=${b.id}"`);
    await memberPage.get(`${T}/companies/${a.id}/merge?with=${b.id}`);
    const merged = await memberPage.post(`${T}/companies/${a.id}/merge`, {
      with: String(b.id),
      "keep.name": "duplicate",
    });
    expect(merged.status).toBe(303);
    expect((await member("GET", `${T}/companies/${a.id}`)).json).toMatchObject({
      name: "Globex Corp",
      city: "Springfield",
    });
  });
});
