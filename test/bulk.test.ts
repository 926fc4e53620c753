import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { waitForTask } from "./support/background-task.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

let server: TestServer;
const dir = tempDir();
let data: DataDir;
let owner: BrowserClient;
let call: ReturnType<typeof api>;
let readOnly: ReturnType<typeof api>;
let otherCall: ReturnType<typeof api>;
let colleagueId: number;

const T = "/t/bulk-co";

/** Everything a refused bulk change must leave exactly as it was. */
const snapshot = () =>
  data.shards.use(data.get("bulk-co"), (s) => ({
    contacts: s.statement("SELECT id, owner_id, updated_at FROM contacts ORDER BY id").all(),
    tags: s.statement("SELECT contact_id, tag_id FROM contact_tags ORDER BY 1, 2").all(),
    deals: s.statement("SELECT id, stage_id, status, updated_at FROM deals ORDER BY id").all(),
    log: s.statement("SELECT count(*) AS n FROM interactions").get(),
  }));

/** The newest interaction id so far: everything a change logs comes after it. */
const lastLogged = () =>
  data.shards.use(
    data.get("bulk-co"),
    (s) => (s.statement("SELECT ifnull(max(id), 0) AS id FROM interactions").get() as { id: number }).id,
  );

/** What was logged after `since`, oldest first, as [kind, subject type, subject id, payload]. */
const loggedSince = (since: number) =>
  data.shards.use(data.get("bulk-co"), (s) =>
    (
      s
        .statement(
          "SELECT kind, subject_type AS type, subject_id AS id, payload FROM interactions WHERE id > ? ORDER BY id",
        )
        .all(since) as { kind: string; type: string; id: number; payload: string }[]
    ).map((r) => [r.kind, r.type, r.id, JSON.parse(r.payload)] as [string, string, number, unknown]),
  );

async function contact(firstName: string, tags: string[] = []) {
  const created = await call("POST", `${T}/contacts`, { firstName, tags });
  expect(created.status).toBe(201);
  return created.json.id as number;
}

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant("bulk-co", "owner@bulk.test");
  await data.tenant("bulk-other", "owner@other.test");
  await data.user("bulk-co", "colleague@bulk.test", "member");
  server = await startServer({ dataDir: dir.path });
  owner = await signIn(server.url, "bulk-co", "owner@bulk.test");
  call = api(server.url, await data.apiKey("bulk-co"));
  readOnly = api(server.url, await data.apiKey("bulk-co", "read-only"));
  otherCall = api(server.url, await data.apiKey("bulk-other"));
  colleagueId = await data.shards.use(
    data.get("bulk-co"),
    (s) =>
      (s.statement("SELECT id FROM users WHERE email = 'colleague@bulk.test'").get() as { id: number }).id,
  );
});

afterAll(async () => {
  await server.stop();
  data.close();
  dir.remove();
});

describe("bulk changes through the API", () => {
  it("tag a selection, logging each change and skipping records that already have the tag", async () => {
    const ids = [await contact("Ann", ["lead"]), await contact("Ben"), await contact("Cat")];
    const since = await lastLogged();
    const result = await call("POST", `${T}/contacts/bulk`, { ids, action: "addTag", tag: "Lead" });
    expect(result.status).toBe(200);
    expect(result.json).toEqual({ matched: 3, changed: 2 });
    for (const id of ids) expect((await call("GET", `${T}/contacts/${id}`)).json.tags).toEqual(["lead"]);
    // One entry per changed record, about that record, saying what changed; none for Ann.
    const tagged = { changes: { tags: [[], ["lead"]] } };
    expect((await loggedSince(since)).sort((a, b) => a[2] - b[2])).toEqual([
      ["contact.updated", "contact", ids[1] as number, tagged],
      ["contact.updated", "contact", ids[2] as number, tagged],
    ]);
  });

  it("set the owner of everything a filter matches, and remove a tag from it, logging each change", async () => {
    const lead = (await call("GET", `${T}/contacts?tag=lead&limit=200`)).json.data.map(
      (c: { id: number }) => c.id,
    );
    expect(lead).toHaveLength(3);
    const since = await lastLogged();
    const result = await call("POST", `${T}/contacts/bulk`, {
      filter: { tag: "lead" },
      action: "setOwner",
      ownerId: colleagueId,
    });
    expect(result.json).toEqual({ matched: 3, changed: 3 });
    expect((await loggedSince(since)).sort((a, b) => a[2] - b[2])).toEqual(
      [...lead]
        .sort((a, b) => a - b)
        .map((id) => ["contact.updated", "contact", id, { changes: { ownerId: [null, colleagueId] } }]),
    );
    const owned = await call("GET", `${T}/contacts?ownerId=${colleagueId}`);
    expect(owned.json.data.map((c: { firstName: string }) => c.firstName).sort()).toEqual([
      "Ann",
      "Ben",
      "Cat",
    ]);
    const cleared = await call("POST", `${T}/contacts/bulk`, {
      filter: { q: "ann" },
      action: "setOwner",
      ownerId: null,
    });
    expect(cleared.json).toEqual({ matched: 1, changed: 1 });
    const untagged = await call("POST", `${T}/contacts/bulk`, {
      filter: { tag: "lead" },
      action: "removeTag",
      tag: "lead",
    });
    expect(untagged.json).toEqual({ matched: 3, changed: 3 });
    expect((await call("GET", `${T}/contacts?tag=lead`)).json.data).toEqual([]);
  });

  it("remove a tag from records with and without it, and set an owner some already have: only the records that change are written, counted and logged", async () => {
    const ids = [
      await contact("Gil", ["mixed", "keep"]),
      await contact("Hob", ["keep"]),
      await contact("Ivo", ["mixed"]),
      await contact("Jan"),
    ];
    const [gil, hob, ivo, jan] = ids as [number, number, number, number];
    const rows = () =>
      data.shards.use(
        data.get("bulk-co"),
        (s) =>
          s
            .statement(
              `SELECT c.id, c.owner_id AS ownerId, c.updated_at AS updatedAt,
               (SELECT group_concat(t.name, ',') FROM (SELECT t.name FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id
                 WHERE ct.contact_id = c.id ORDER BY t.name) t) AS tags
             FROM contacts c WHERE c.id IN (${ids.join(",")}) ORDER BY c.id`,
            )
            .all() as { id: number; ownerId: number | null; updatedAt: number; tags: string | null }[],
      );
    /** Waits until this process's clock is past every stored change, so a rewrite would show in updated_at. */
    const clockPastChanges = async () => {
      const newest = Math.max(...(await rows()).map((r) => r.updatedAt));
      while (Date.now() <= newest) await Bun.sleep(1);
    };

    await clockPastChanges();
    let before = await rows();
    let since = await lastLogged();
    const untagged = await call("POST", `${T}/contacts/bulk`, { ids, action: "removeTag", tag: "mixed" });
    expect(untagged.status).toBe(200);
    expect(untagged.json).toEqual({ matched: 4, changed: 2 });
    expect((await loggedSince(since)).sort((a, b) => a[2] - b[2])).toEqual([
      ["contact.updated", "contact", gil, { changes: { tags: [["keep", "mixed"], ["keep"]] } }],
      ["contact.updated", "contact", ivo, { changes: { tags: [["mixed"], []] } }],
    ]);
    let after = await rows();
    expect(after.map((r) => r.tags)).toEqual(["keep", "keep", null, null]);
    // Hob and Jan, who never had the tag, were not rewritten.
    expect([after[1], after[3]]).toEqual([before[1], before[3]]);
    expect(
      [after[0]?.updatedAt, after[2]?.updatedAt].every(
        (t) => (t as number) > (before[0]?.updatedAt as number),
      ),
    ).toBe(true);

    expect(
      (
        await call("POST", `${T}/contacts/bulk`, {
          ids: [gil, ivo],
          action: "setOwner",
          ownerId: colleagueId,
        })
      ).json,
    ).toEqual({ matched: 2, changed: 2 });
    await clockPastChanges();
    before = await rows();
    since = await lastLogged();
    const owned = await call("POST", `${T}/contacts/bulk`, { ids, action: "setOwner", ownerId: colleagueId });
    expect(owned.json).toEqual({ matched: 4, changed: 2 });
    expect((await loggedSince(since)).sort((a, b) => a[2] - b[2])).toEqual(
      [hob, jan].map((id) => [
        "contact.updated",
        "contact",
        id,
        { changes: { ownerId: [null, colleagueId] } },
      ]),
    );
    after = await rows();
    expect(after.map((r) => r.ownerId)).toEqual(ids.map(() => colleagueId));
    // Gil and Ivo already had that owner: not rewritten.
    expect([after[0], after[2]]).toEqual([before[0], before[2]]);
  });

  it("is all or nothing: one record that cannot take the change leaves every record as it was", async () => {
    const full = Array.from({ length: 20 }, (_, i) => `t${i}`);
    const ids = [await contact("Dee"), await contact("Eve"), await contact("Fay", full)];
    const before = await snapshot();
    const result = await call("POST", `${T}/contacts/bulk`, { ids, action: "addTag", tag: "extra" });
    expect(result.status).toBe(422);
    expect(result.json.errors[0].field).toBe("tag");
    expect(await snapshot()).toEqual(before);
  });

  it("moving deals to a stage fails for all when one deal is in another pipeline", async () => {
    const pipelines = (await call("GET", `${T}/pipelines`)).json.data;
    const other = await call("POST", `${T}/pipelines`, {
      name: "Partners",
      stages: [{ name: "Intro", probability: 10 }],
    });
    expect(other.status).toBe(403); // a member key cannot add pipelines: do it as an admin
    const admin = api(server.url, await data.apiKey("bulk-co", "admin"));
    const partners = (
      await admin("POST", `${T}/pipelines`, {
        name: "Partners",
        stages: [{ name: "Intro", probability: 10 }],
      })
    ).json;
    const sales = pipelines[0];
    const deals = [];
    for (const [title, stageId] of [
      ["One", sales.stages[0].id],
      ["Two", sales.stages[0].id],
      ["Three", partners.stages[0].id],
    ]) {
      const created = await call("POST", `${T}/deals`, { title, stageId, amount: "100" });
      expect(created.status).toBe(201);
      deals.push(created.json.id);
    }
    const before = await snapshot();
    const moved = await call("POST", `${T}/deals/bulk`, {
      ids: deals,
      action: "moveStage",
      stageId: sales.stages[1].id,
    });
    expect(moved.status).toBe(422);
    expect(moved.json.errors.map((e: { field: string }) => e.field)).toContain("stageId");
    expect(await snapshot()).toEqual(before);

    const since = await lastLogged();
    const ok = await call("POST", `${T}/deals/bulk`, {
      ids: deals.slice(0, 2),
      action: "moveStage",
      stageId: sales.stages[1].id,
    });
    expect(ok.json).toEqual({ matched: 2, changed: 2 });
    const stageChange = {
      fromStageId: sales.stages[0].id,
      toStageId: sales.stages[1].id,
      from: sales.stages[0].name,
      to: sales.stages[1].name,
    };
    expect((await loggedSince(since)).sort((a, b) => a[2] - b[2])).toEqual(
      deals
        .slice(0, 2)
        .sort((a, b) => a - b)
        .map((id) => ["deal.stage_changed", "deal", id, stageChange]),
    );
  });

  it("refuses another workspace's ids (404), bad input (400/422) and read-only keys (403), changing nothing", async () => {
    const theirs = await otherCall("POST", "/t/bulk-other/contacts", { firstName: "Theirs" });
    const mine = await contact("Gus");
    const before = await snapshot();
    const cases: [ReturnType<typeof api>, string, unknown, number][] = [
      [call, "contacts", { ids: [mine, theirs.json.id], action: "delete" }, 404],
      [call, "contacts", { ids: [mine], action: "explode" }, 422],
      [call, "contacts", { ids: [mine], action: "addTag" }, 422],
      [call, "contacts", { ids: [mine], action: "setOwner" }, 422],
      [call, "contacts", { ids: [mine], action: "setOwner", ownerId: 999_999 }, 422],
      [call, "contacts", { ids: [], action: "delete" }, 422],
      [call, "contacts", { action: "delete" }, 422],
      [call, "contacts", { ids: [mine], filter: {}, action: "delete" }, 422],
      [call, "contacts", { filter: { sort: "name", nope: "1" }, action: "delete" }, 400],
      [call, "contacts", { filter: { cf: "missing:1" }, action: "delete" }, 400],
      [call, "contacts", { ids: [mine], action: "moveStage", stageId: 1 }, 422],
      [call, "widgets", { ids: [mine], action: "delete" }, 404],
      [readOnly, "contacts", { ids: [mine], action: "delete" }, 403],
    ];
    for (const [client, kind, body, status] of cases) {
      const response = await client("POST", `${T}/${kind}/bulk`, body);
      expect([JSON.stringify(body), response.status]).toEqual([JSON.stringify(body), status]);
    }
    expect(await snapshot()).toEqual(before);
    expect((await otherCall("GET", `/t/bulk-other/contacts/${theirs.json.id}`)).status).toBe(200);
  });

  it("refuses a filter matching more records than one change may touch", async () => {
    await data.shards.use(data.get("bulk-co"), (s) =>
      s.transaction(() => {
        const insert = s.statement(
          "INSERT INTO contacts (first_name, last_name, created_at, updated_at) VALUES ('Many', ?, 1, 1)",
        );
        for (let i = 0; i < 5_001; i++) insert.run(String(i));
      }),
    );
    const before = await snapshot();
    const response = await call("POST", `${T}/contacts/bulk`, { filter: { q: "many" }, action: "delete" });
    expect(response.status).toBe(422);
    expect(response.json.errors[0]).toMatchObject({ field: "filter" });
    expect(await snapshot()).toEqual(before);
    // One fewer and the same filter goes through: 5,000 deletions, each logged, in one transaction.
    const one = (await call("GET", `${T}/contacts?q=many&limit=1`)).json.data[0].id;
    expect((await call("DELETE", `${T}/contacts/${one}`)).status).toBe(204);
    const many = await data.shards.use(data.get("bulk-co"), (s) =>
      (
        s
          .statement("SELECT id, last_name AS n FROM contacts WHERE first_name = 'Many' ORDER BY id")
          .all() as {
          id: number;
          n: string;
        }[]
      ).map((r) => [r.id, r.n] as const),
    );
    expect(many).toHaveLength(5_000);
    const since = await lastLogged();
    const deleted = await call("POST", `${T}/contacts/bulk`, { filter: { q: "many" }, action: "delete" });
    expect(deleted.json).toEqual({ matched: 5_000, changed: 5_000 });
    expect((await call("GET", `${T}/contacts?q=many`)).json.data).toEqual([]);
    // Each deletion logged once, about its own contact, with its name.
    expect((await loggedSince(since)).sort((a, b) => a[2] - b[2])).toEqual(
      many.map(([id, n]) => ["contact.deleted", "contact", id, { name: `Many ${n}` }]),
    );
  });
});

describe("bulk changes on the list pages", () => {
  it("change the ticked rows and come back to the list with a notice", async () => {
    const ids = [await contact("Hal"), await contact("Ida")];
    const list = await owner.get(`${T}/contacts`);
    expect(list.text).toContain('id="bulk-form"');
    expect(list.text).toContain(`name="ids" value="${ids[0]}" form="bulk-form"`);
    const body = new URLSearchParams([
      ["_csrf", owner.csrfToken],
      ["filter", ""],
      ["scope", "selected"],
      ["ids", String(ids[0])],
      ["ids", String(ids[1])],
      ["action", "addTag"],
      ["tag", "vip"],
      ["ownerId", ""],
    ]);
    const posted = await owner.request("POST", `${T}/contacts/bulk`, {
      body,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(posted.status).toBe(303);
    const back = await owner.get(posted.headers.get("location") as string);
    expect(back.text).toContain("2 contacts changed.");
    expect((await call("GET", `${T}/contacts?tag=vip`)).json.data).toHaveLength(2);
  });

  it("the notice counts only the ticked rows that changed: a tag removed from some that have it, an owner set on some that already have them", async () => {
    const ids = [await contact("Kit", ["gone"]), await contact("Lou"), await contact("Max", ["gone"])];
    await owner.get(`${T}/contacts`);
    const send = async (action: string, tag: string, ownerId: string) => {
      const posted = await owner.request("POST", `${T}/contacts/bulk`, {
        body: new URLSearchParams([
          ["_csrf", owner.csrfToken],
          ["filter", ""],
          ["scope", "selected"],
          ...ids.map((id) => ["ids", String(id)]),
          ["action", action],
          ["tag", tag],
          ["ownerId", ownerId],
        ]),
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      expect(posted.status).toBe(303);
      const back = await owner.get(posted.headers.get("location") as string);
      return /<p class="flash notice">([^<]*)<\/p>/.exec(back.text)?.[1];
    };
    expect(await send("removeTag", "gone", "")).toBe("2 contacts changed.");
    expect((await call("GET", `${T}/contacts?tag=gone`)).json.data).toEqual([]);
    const kit = await call("POST", `${T}/contacts/bulk`, {
      ids: [ids[0]],
      action: "setOwner",
      ownerId: colleagueId,
    });
    expect(kit.json).toEqual({ matched: 1, changed: 1 });
    expect(await send("setOwner", "", String(colleagueId))).toBe("2 contacts changed.");
    expect(await send("setOwner", "", String(colleagueId))).toBe("0 contacts changed.");
  });

  it("delete everything matching after a confirmation, and show why when nothing was changed", async () => {
    await owner.get(`${T}/contacts`);
    const ask = await owner.post(`${T}/contacts/bulk`, {
      scope: "all",
      filter: "tag=vip",
      action: "delete",
      ownerId: "",
    });
    expect(ask.status).toBe(200);
    expect(ask.text).toContain("Delete 2 contacts?");
    expect((await call("GET", `${T}/contacts?tag=vip`)).json.data).toHaveLength(2);
    const done = await owner.post(`${T}/contacts/bulk`, {
      scope: "all",
      filter: "tag=vip",
      action: "delete",
      ownerId: "",
      confirm: "1",
    });
    expect(done.status).toBe(303);
    // Everything a filter matches changes in the background: its page says how it went and
    // leads back to the list, which says how many records changed.
    const task = await waitForTask(owner, done.headers.get("location"));
    expect(task.status).toBe("Done.");
    expect(task.links).toEqual([`${T}/contacts?tag=vip&changed=2`]);
    const back = await owner.get(`${T}/contacts?tag=vip&changed=2`);
    expect(/<p class="flash notice">([^<]*)<\/p>/.exec(back.text)?.[1]).toBe("2 contacts changed.");
    expect((await call("GET", `${T}/contacts?tag=vip`)).json.data).toHaveLength(0);

    await owner.get(`${T}/contacts`);
    const refused = await owner.post(`${T}/contacts/bulk`, { scope: "selected", action: "addTag", tag: "x" });
    expect(refused.status).toBe(422);
    expect(refused.text).toContain("Nothing was changed");
    expect(refused.text).toContain("select at least one record");
  });

  it("are not offered to read-only users, and refused if they post anyway", async () => {
    await data.user("bulk-co", "viewer@bulk.test", "read-only");
    const viewer = await signIn(server.url, "bulk-co", "viewer@bulk.test");
    const list = await viewer.get(`${T}/contacts`);
    expect(list.text).not.toContain('id="bulk-form"');
    const gus = (await call("GET", `${T}/contacts?q=gus`)).json.data[0].id;
    const refused = await viewer.post(`${T}/contacts/bulk`, {
      scope: "selected",
      ids: String(gus),
      action: "delete",
      confirm: "1",
    });
    expect(refused.status).toBe(403);
    expect((await call("GET", `${T}/contacts/${gus}`)).status).toBe(200);
  });
});

describe("a segment as the target of a bulk change", () => {
  it("changes the segment's members as they are now, through the API and its page, and nothing else", async () => {
    const members = [await contact("Seg one", ["seg-target"]), await contact("Seg two", ["seg-target"])];
    const outsider = await contact("Seg outsider", ["elsewhere"]);
    const created = await call("POST", `${T}/segments`, {
      name: "Targeted",
      rules: [{ field: "tags", op: "contains", value: "seg-target" }],
    });
    expect(created.status).toBe(201);
    const id = created.json.id as number;
    // One more member after it was saved: the change takes the members as they are now.
    members.push(await contact("Seg three", ["seg-target"]));

    const before = await snapshot();
    expect((await readOnly("POST", `${T}/segments/${id}/bulk`, { action: "delete" })).status).toBe(403);
    expect((await otherCall("POST", `/t/bulk-other/segments/${id}/bulk`, { action: "delete" })).status).toBe(
      404,
    );
    const bad = await call("POST", `${T}/segments/${id}/bulk`, { action: "addTag" });
    expect(bad.status).toBe(422);
    expect(bad.json.errors[0]).toMatchObject({ field: "tag" });
    expect(await snapshot()).toEqual(before);

    const since = await lastLogged();
    const done = await call("POST", `${T}/segments/${id}/bulk`, { action: "setOwner", ownerId: colleagueId });
    expect(done.status).toBe(200);
    expect(done.json).toEqual({ matched: 3, changed: 3 });
    const owners = await data.shards.use(data.get("bulk-co"), (s) =>
      s
        .statement("SELECT id, owner_id AS owner FROM contacts WHERE id IN (?, ?, ?, ?) ORDER BY id")
        .all(...members, outsider),
    );
    expect(owners).toEqual(
      [...members, outsider]
        .sort((a, b) => a - b)
        .map((c) => ({ id: c, owner: c === outsider ? null : colleagueId })),
    );
    expect((await loggedSince(since)).map(([kind, , subject]) => [kind, subject])).toEqual(
      members.map((m) => ["contact.updated", m]),
    );

    // The page's form: "all 3 matching" runs in the background and leads back to the segment.
    const segmentPage = await owner.get(`${T}/segments/${id}`);
    expect(segmentPage.text).toContain(`action="${T}/segments/${id}/bulk"`);
    const all = await owner.post(`${T}/segments/${id}/bulk`, {
      scope: "all",
      filter: "",
      action: "addTag",
      tag: "via-segment",
    });
    expect(all.status).toBe(303);
    const task = await waitForTask(owner, all.headers.get("location"));
    expect(task.status).toBe("Done.");
    expect(task.links).toContain(`${T}/segments/${id}?changed=3`);
    const tagged = await data.shards.use(data.get("bulk-co"), (s) =>
      s
        .statement(
          "SELECT ct.contact_id AS id FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id WHERE t.name = 'via-segment' ORDER BY 1",
        )
        .all()
        .map((r) => (r as { id: number }).id),
    );
    expect(tagged).toEqual(members.toSorted((a, b) => a - b));
    // Ticked rows change while the request waits and come back to the segment with a notice.
    const ticked = await owner.post(`${T}/segments/${id}/bulk`, {
      scope: "selected",
      ids: String(members[0]),
      filter: "",
      action: "removeTag",
      tag: "via-segment",
    });
    expect(ticked.status).toBe(303);
    expect(ticked.headers.get("location")).toBe(`${T}/segments/${id}?changed=1`);
    expect((await owner.get(`${T}/segments/${id}?changed=1`)).text).toContain("1 contact changed.");
  });
});
