import { beforeAll, describe, expect, it } from "bun:test";
import { type ApiCall, apiWorkspaces } from "./support/api-workspaces.ts";

/**
 * Upsert and batch through the real server: `externalId` on contacts, companies and deals
 * (unique per workspace and kind, exact filter), the exact `email` and `domain` filters, and
 * POST /<kind>/batch: create, update or upsert up to 100 records in one transaction, all or
 * nothing, with a result per item.
 */
const SLUG = "batch-home";
const OTHER = "batch-other";
const workspaces = apiWorkspaces([SLUG, OTHER]);
let owner: ApiCall;
let otherOwner: ApiCall;

const scalar = (sql: string) => workspaces.scalar(SLUG, sql);
const rows = async () => ({
  contacts: await scalar("SELECT count(*) AS n FROM contacts"),
  companies: await scalar("SELECT count(*) AS n FROM companies"),
  deals: await scalar("SELECT count(*) AS n FROM deals"),
  log: await scalar("SELECT count(*) AS n FROM interactions"),
  tags: await scalar("SELECT count(*) AS n FROM contact_tags"),
});

beforeAll(async () => {
  owner = await workspaces.key(SLUG);
  otherOwner = await workspaces.key(OTHER);
});

const batch = (path: string, body: object, call: ApiCall = owner) =>
  call("POST", `/t/${SLUG}/${path}/batch`, body);

describe("externalId", () => {
  it("is set on create, returned, changed and cleared by PATCH, and found by an exact filter", async () => {
    const created = await owner("POST", `/t/${SLUG}/contacts`, { firstName: "Ext", externalId: "hub-1" });
    expect(created.status).toBe(201);
    expect(created.json.externalId).toBe("hub-1");
    const found = await owner("GET", `/t/${SLUG}/contacts?externalId=hub-1`);
    expect(found.json.data.map((c: { id: number }) => c.id)).toEqual([created.json.id]);
    expect((await owner("GET", `/t/${SLUG}/contacts?externalId=hub-`)).json.data).toEqual([]);
    expect((await owner("GET", `/t/${SLUG}/contacts?externalId=HUB-1`)).json.data).toEqual([]);
    const patched = await owner("PATCH", `/t/${SLUG}/contacts/${created.json.id}`, { externalId: "hub-1b" });
    expect(patched.json.externalId).toBe("hub-1b");
    const cleared = await owner("PATCH", `/t/${SLUG}/contacts/${created.json.id}`, { externalId: null });
    expect(cleared.json.externalId).toBeNull();
  });

  it("is unique per workspace and kind: a clash is a 422 naming externalId and writes nothing", async () => {
    const first = await owner("POST", `/t/${SLUG}/companies`, { name: "One", externalId: "same" });
    expect(first.status).toBe(201);
    const before = await rows();
    const clash = await owner("POST", `/t/${SLUG}/companies`, { name: "Two", externalId: "same" });
    expect(clash.status).toBe(422);
    expect(clash.headers.get("content-type")).toContain("application/problem+json");
    expect(clash.json.errors).toEqual([
      { field: "externalId", message: `is already the externalId of record ${first.json.id}` },
    ]);
    const second = await owner("POST", `/t/${SLUG}/companies`, { name: "Two" });
    const patchClash = await owner("PATCH", `/t/${SLUG}/companies/${second.json.id}`, { externalId: "same" });
    expect(patchClash.status).toBe(422);
    expect(patchClash.json.errors[0].field).toBe("externalId");
    expect((await rows()).log).toBe(before.log + 2 - 1);
    // Another kind and another workspace may use the same value.
    expect(
      (await owner("POST", `/t/${SLUG}/contacts`, { firstName: "Same", externalId: "same" })).status,
    ).toBe(201);
    expect((await owner("POST", `/t/${SLUG}/deals`, { title: "Same", externalId: "same" })).status).toBe(201);
    const elsewhere = await otherOwner("POST", `/t/${OTHER}/companies`, { name: "One", externalId: "same" });
    expect(elsewhere.status).toBe(201);
  });

  it("refuses too long, control-character and non-string values with a 422 naming it; empty means none", async () => {
    const empty = await owner("POST", `/t/${SLUG}/contacts`, { firstName: "Empty", externalId: "" });
    expect(empty.json.externalId).toBeNull();
    for (const bad of ["x".repeat(256), "line\nbreak", "nul\u0000", 42, ["a"]]) {
      const response = await owner("POST", `/t/${SLUG}/contacts`, { firstName: "Bad", externalId: bad });
      expect({ bad, status: response.status, field: response.json.errors?.[0]?.field }).toEqual({
        bad,
        status: 422,
        field: "externalId",
      });
    }
    expect(
      (await owner("POST", `/t/${SLUG}/contacts`, { firstName: "Ok", externalId: "é/ü:255" })).status,
    ).toBe(201);
  });
});

describe("externalId through a merge", () => {
  it("goes to a survivor without one, so an upsert by it finds the merged record", async () => {
    const survivor = await owner("POST", `/t/${SLUG}/contacts`, { firstName: "Kept" });
    const duplicate = await owner("POST", `/t/${SLUG}/contacts`, {
      firstName: "Folded",
      externalId: "merge-ext",
    });
    const merged = await owner("POST", `/t/${SLUG}/contacts/${survivor.json.id}/merge`, {
      duplicateId: duplicate.json.id,
    });
    expect(merged.status).toBe(200);
    expect(merged.json.externalId).toBe("merge-ext");
    const upsert = await batch("contacts", {
      mode: "upsert",
      items: [{ firstName: "Kept", externalId: "merge-ext" }],
    });
    expect(upsert.json.results[0]).toMatchObject({ id: survivor.json.id, status: 200 });
  });
});

describe("exact email and domain filters", () => {
  it("matches an email exactly and ignoring case, never a prefix", async () => {
    const ann = await owner("POST", `/t/${SLUG}/contacts`, { firstName: "Ann", email: "ann@example.org" });
    await owner("POST", `/t/${SLUG}/contacts`, { firstName: "Anna", email: "anna@example.org" });
    await owner("POST", `/t/${SLUG}/contacts`, { firstName: "Ann2", email: "ann@example.org.uk" });
    const exact = await owner("GET", `/t/${SLUG}/contacts?email=${encodeURIComponent("ANN@Example.org")}`);
    expect(exact.status).toBe(200);
    expect(exact.json.data.map((c: { id: number }) => c.id)).toEqual([ann.json.id]);
    expect((await owner("GET", `/t/${SLUG}/contacts?email=ann`)).json.data).toEqual([]);
    expect((await owner("GET", `/t/${SLUG}/contacts?email=ann%40example`)).json.data).toEqual([]);
  });

  it("matches a company's domain exactly", async () => {
    const acme = await owner("POST", `/t/${SLUG}/companies`, { name: "Acme", domain: "acme-exact.com" });
    await owner("POST", `/t/${SLUG}/companies`, { name: "Acme UK", domain: "acme-exact.co.uk" });
    const found = await owner("GET", `/t/${SLUG}/companies?domain=ACME-exact.com`);
    expect(found.json.data.map((c: { id: number }) => c.id)).toEqual([acme.json.id]);
    expect((await owner("GET", `/t/${SLUG}/companies?domain=acme-exact`)).json.data).toEqual([]);
  });
});

describe("POST /<kind>/batch", () => {
  it("upserts by externalId: creates, then updates, then reports unchanged records", async () => {
    const items = [
      { firstName: "Bo", externalId: "up-1", email: "bo@example.org", tags: ["lead"] },
      { firstName: "Cy", externalId: "up-2" },
    ];
    const first = await batch("contacts", { mode: "upsert", items });
    expect(first.status).toBe(200);
    expect(first.json.results.map((r: { status: number; action: string }) => [r.status, r.action])).toEqual([
      [201, "created"],
      [201, "created"],
    ]);
    expect(first.json.data.map((c: { externalId: string }) => c.externalId)).toEqual(["up-1", "up-2"]);
    const ids = first.json.results.map((r: { id: number }) => r.id);
    const log = (await rows()).log;
    const second = await batch("contacts", {
      mode: "upsert",
      items: [
        { firstName: "Bo", lastName: "Changed", externalId: "up-1" },
        { firstName: "Cy", externalId: "up-2" },
      ],
    });
    expect(second.status).toBe(200);
    expect(second.json.results).toEqual([
      { index: 0, status: 200, id: ids[0], action: "updated" },
      { index: 1, status: 200, id: ids[1], action: "unchanged" },
    ]);
    expect(second.json.data[0].lastName).toBe("Changed");
    // One contact.updated entry, in the same transaction as the change.
    expect((await rows()).log).toBe(log + 1);
  });

  it("logs contact.created for each created record", async () => {
    const before = await scalar("SELECT count(*) AS n FROM interactions WHERE kind = 'contact.created'");
    const answer = await batch("contacts", {
      mode: "create",
      items: [{ firstName: "L1" }, { firstName: "L2" }, { firstName: "L3" }],
    });
    expect(answer.status).toBe(200);
    expect(await scalar("SELECT count(*) AS n FROM interactions WHERE kind = 'contact.created'")).toBe(
      before + 3,
    );
  });

  it("updates by id and by email; a missing record is a 404 item", async () => {
    const made = await batch("contacts", {
      mode: "create",
      items: [{ firstName: "Di", email: "di@example.org" }],
    });
    const id = made.json.results[0].id;
    const byId = await batch("contacts", { mode: "update", items: [{ id, title: "CTO" }] });
    expect(byId.json.results[0]).toEqual({ index: 0, status: 200, id, action: "updated" });
    const byEmail = await batch("contacts", {
      mode: "upsert",
      matchOn: "email",
      items: [{ firstName: "Di", email: "DI@example.org", phone: "+44 20 7946 0000" }],
    });
    expect(byEmail.json.results[0]).toEqual({ index: 0, status: 200, id, action: "updated" });
    const missing = await batch("contacts", {
      mode: "update",
      matchOn: "externalId",
      items: [{ externalId: "nope" }],
    });
    expect(missing.status).toBe(422);
    expect(missing.json.results[0].status).toBe(404);
  });

  it("writes nothing when one item fails: 422 with every item's result (refused ones with errors, others 424)", async () => {
    await batch("contacts", { mode: "create", items: [{ firstName: "Held", externalId: "held" }] });
    const before = await rows();
    const answer = await batch("contacts", {
      mode: "upsert",
      items: [
        { firstName: "New", externalId: "f-1", tags: ["x"] },
        { firstName: "", externalId: "f-2" },
        { firstName: "Held changed", externalId: "held" },
        { firstName: "Bad", externalId: "f-4", email: "not an email" },
        "not an object",
      ],
    });
    expect(answer.status).toBe(422);
    expect(answer.headers.get("content-type")).toContain("application/problem+json");
    const results = answer.json.results as { index: number; status: number; errors: { field: string }[] }[];
    expect(results.map((r) => r.status)).toEqual([424, 422, 424, 422, 422]);
    expect(results[1]?.errors.map((e) => e.field)).toEqual(["firstName"]);
    expect(results[3]?.errors.map((e) => e.field)).toEqual(["email"]);
    expect(answer.json.errors.map((e: { field: string }) => e.field)).toEqual([
      "items.1.firstName",
      "items.3.email",
      "items.4.body",
    ]);
    expect(await rows()).toEqual(before);
    const held = await owner("GET", `/t/${SLUG}/contacts?externalId=held`);
    expect(held.json.data[0].firstName).toBe("Held");
  });

  it("rolls back an externalId clash within the batch and against stored records", async () => {
    await batch("deals", { mode: "create", items: [{ title: "Taken", externalId: "deal-taken" }] });
    const before = await rows();
    const answer = await batch("deals", {
      mode: "create",
      items: [
        { title: "A", externalId: "deal-new" },
        { title: "B", externalId: "deal-taken" },
        { title: "C", externalId: "deal-new" },
      ],
    });
    expect(answer.status).toBe(422);
    expect(answer.json.results.map((r: { status: number }) => r.status)).toEqual([424, 422, 422]);
    expect(await rows()).toEqual(before);
  });

  it("treats two upserts of one externalId in a batch as a create then an update", async () => {
    const answer = await batch("companies", {
      mode: "upsert",
      items: [
        { name: "Twice", externalId: "co-twice" },
        { name: "Twice Ltd", externalId: "co-twice" },
      ],
    });
    expect(answer.status).toBe(200);
    expect(answer.json.results.map((r: { action: string }) => r.action)).toEqual(["created", "updated"]);
    expect(answer.json.results[0].id).toBe(answer.json.results[1].id);
    expect(answer.json.data[1].name).toBe("Twice Ltd");
  });

  it("refuses bad envelopes: 101 items, no items, an unknown mode or matchOn, email on companies", async () => {
    const before = await rows();
    const many = Array.from({ length: 101 }, (_, i) => ({ firstName: `N${i}` }));
    const tooMany = await batch("contacts", { mode: "create", items: many });
    expect(tooMany.status).toBe(422);
    expect(tooMany.json.errors[0].field).toBe("items");
    expect((await batch("contacts", { mode: "create", items: [] })).status).toBe(422);
    expect(
      (await batch("contacts", { mode: "merge", items: [{ firstName: "X" }] })).json.errors[0].field,
    ).toBe("mode");
    const email = await batch("companies", { mode: "upsert", matchOn: "email", items: [{ name: "X" }] });
    expect(email.status).toBe(422);
    expect(email.json.errors[0].field).toBe("matchOn");
    expect(
      (await batch("contacts", { mode: "create", matchOn: "id", items: [{ firstName: "X" }] })).status,
    ).toBe(422);
    expect(await rows()).toEqual(before);
  });

  it("answers 413 for a body over the limit, writing nothing", async () => {
    const before = await rows();
    const items = Array.from({ length: 100 }, (_, i) => ({ firstName: `Big${i}`, title: "x".repeat(3000) }));
    const response = await batch("contacts", { mode: "create", items });
    expect(response.status).toBe(413);
    expect(await rows()).toEqual(before);
  });

  it("creates and upserts 100 contacts in one call", async () => {
    const items = Array.from({ length: 100 }, (_, i) => ({
      firstName: `Hundred ${i}`,
      externalId: `h-${i}`,
    }));
    const created = await batch("contacts", { mode: "upsert", items });
    expect(created.status).toBe(200);
    expect(created.json.data).toHaveLength(100);
    const again = await batch("contacts", { mode: "upsert", items });
    expect(again.json.results.every((r: { action: string }) => r.action === "unchanged")).toBe(true);
  });

  it("never reaches another workspace's records: their externalId is not found here", async () => {
    await otherOwner("POST", `/t/${OTHER}/contacts`, { firstName: "Theirs", externalId: "theirs-1" });
    const answer = await batch("contacts", {
      mode: "update",
      matchOn: "externalId",
      items: [{ externalId: "theirs-1", title: "X" }],
    });
    expect(answer.status).toBe(422);
    expect(answer.json.results[0].status).toBe(404);
    const theirs = await otherOwner("GET", `/t/${OTHER}/contacts?externalId=theirs-1`);
    expect(theirs.json.data[0].title).toBeNull();
  });

  it("answers 409 for an item whose email several contacts share, and writes nothing", async () => {
    await batch("contacts", {
      mode: "create",
      items: [
        { firstName: "Twin", email: "twin@example.org" },
        { firstName: "Twin", lastName: "Two", email: "twin@example.org" },
      ],
    });
    const before = await rows();
    const answer = await batch("contacts", {
      mode: "upsert",
      matchOn: "email",
      items: [{ firstName: "Twin", email: "TWIN@example.org", title: "Which?" }],
    });
    expect(answer.status).toBe(422);
    expect(answer.json.results[0].status).toBe(409);
    expect(answer.json.results[0].errors[0].field).toBe("email");
    expect(await rows()).toEqual(before);
  });

  it("stores no Idempotency-Key for a refused batch: the corrected batch with the same key is applied once", async () => {
    const key = `batch-${Date.now()}`;
    const headers = { "Idempotency-Key": key };
    const path = `/t/${SLUG}/contacts/batch`;
    const refused = await owner("POST", path, { mode: "create", items: [{ firstName: "" }] }, headers);
    expect(refused.status).toBe(422);
    const body = { mode: "upsert", items: [{ firstName: "Keyed", externalId: "keyed-1" }] };
    const before = await rows();
    const answers = await Promise.all([0, 1, 2].map(() => owner("POST", path, body, headers)));
    expect(answers.every((a) => a.status === 200 || a.status === 409)).toBe(true);
    const again = await owner("POST", path, body, headers);
    expect(again.status).toBe(200);
    expect(again.headers.get("Idempotency-Replayed")).toBe("true");
    expect(again.json.results[0].action).toBe("created");
    expect((await rows()).contacts).toBe(before.contacts + 1);
  });
});
