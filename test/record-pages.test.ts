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

const contactCount = () =>
  data.shards.use(
    data.get("shop"),
    (s) => (s.statement("SELECT count(*) AS n FROM contacts").get() as { n: number }).n,
  );

beforeAll(async () => {
  server = await startServer({ dataDir: dir.path });
  data = new DataDir(dir.path);
  await data.tenant("shop", "owner@shop.test");
  await data.user("shop", "viewer@shop.test", "read-only");
  owner = await signIn(server.url, "shop", "owner@shop.test");
  call = api(server.url, await data.apiKey("shop"));
});

afterAll(async () => {
  await server.stop();
  data.close();
  dir.remove();
});

describe("contact pages without JavaScript", () => {
  let id: string;

  it("creates a contact from the full form, with a company typed by name and tags", async () => {
    await owner.get("/t/shop/contacts/new");
    const response = await owner.post("/t/shop/contacts", {
      firstName: "Ada",
      lastName: "Lovelace",
      email: "ADA@Analytical.example",
      phone: "+44 20 7946 0000",
      title: "Mathematician",
      companyName: "Analytical Engines",
      ownerId: "",
      tags: "VIP, lead, vip",
    });
    expect(response.status).toBe(303);
    id = (response.headers.get("location") as string).split("/").pop() as string;
    const page = await owner.get(`/t/shop/contacts/${id}`);
    expect(page.text).toContain("Ada Lovelace");
    expect(page.text).toContain("ada@analytical.example");
    expect(page.text).toContain(">Analytical Engines</a>");
    expect(page.text).toContain(">lead</a>");
    expect(page.text).toContain(">vip</a>");
  });

  it("re-renders the form with each error inline and writes nothing", async () => {
    const before = await contactCount();
    const response = await owner.post("/t/shop/contacts", {
      firstName: "",
      lastName: "X",
      email: "nope",
      phone: "abc",
      companyName: "",
      ownerId: "999",
      tags: "",
    });
    expect(response.status).toBe(422);
    expect(response.text).toContain('id="contact-firstName-error"');
    expect(response.text).toContain('id="contact-email-error"');
    expect(response.text).toContain('id="contact-phone-error"');
    expect(response.text).toContain('value="X"');
    expect(await contactCount()).toBe(before);
  });

  it("an unknown owner is a 422 on ownerId and writes nothing", async () => {
    const before = await contactCount();
    const response = await owner.post("/t/shop/contacts", {
      firstName: "Bob",
      ownerId: "999",
      companyName: "Ghost Co",
    });
    expect(response.status).toBe(422);
    expect(response.text).toContain("is not a user of this workspace");
    expect(await contactCount()).toBe(before);
    // The company typed alongside was rolled back with it.
    const ghosts = await data.shards.use(data.get("shop"), (s) =>
      s.statement("SELECT count(*) AS n FROM companies WHERE name = 'Ghost Co'").get(),
    );
    expect(ghosts).toEqual({ n: 0 });
  });

  it("edits through the full page and shows the change", async () => {
    await owner.get(`/t/shop/contacts/${id}/edit`);
    const response = await owner.post(`/t/shop/contacts/${id}`, {
      firstName: "Augusta Ada",
      lastName: "King",
      email: "ada@analytical.example",
      phone: "",
      title: "Countess",
      companyName: "Analytical Engines",
      ownerId: "",
      tags: "lead",
    });
    expect(response.status).toBe(303);
    const page = await owner.get(`/t/shop/contacts/${id}`);
    expect(page.text).toContain("Augusta Ada King");
    expect(page.text).not.toContain(">vip</a>");
  });

  it("deletes after a confirmation page", async () => {
    const confirm = await owner.get(`/t/shop/contacts/${id}/delete`);
    expect(confirm.text).toContain("Delete Augusta Ada King?");
    const response = await owner.post(`/t/shop/contacts/${id}/delete`, {});
    expect(response.status).toBe(303);
    expect((await owner.get(`/t/shop/contacts/${id}`)).status).toBe(404);
  });

  it("logs every change in the interaction log, in order", async () => {
    const kinds = await data.shards.use(data.get("shop"), (s) =>
      (
        s
          .statement(
            "SELECT kind FROM interactions WHERE subject_type = 'contact' AND subject_id = ? ORDER BY id",
          )
          .all(Number(id)) as { kind: string }[]
      ).map((r) => r.kind),
    );
    expect(kinds).toEqual(["contact.created", "contact.updated", "contact.deleted"]);
  });
});

describe("contact pages with htmx", () => {
  it("quick add returns the new row and a fresh form; a 422 retargets the form with errors", async () => {
    await owner.get("/t/shop/contacts");
    const created = await owner.htmx("POST", "/t/shop/contacts", {
      _fragment: "row",
      firstName: "Grace",
      lastName: "Hopper",
      email: "grace@navy.example",
      companyName: "",
    });
    expect(created.status).toBe(201);
    expect(created.text).toStartWith('<tr id="contact-');
    expect(created.text).toContain('<hx-partial hx-target="#new-contact"');

    const invalid = await owner.htmx("POST", "/t/shop/contacts", {
      _fragment: "row",
      firstName: "",
      email: "x",
    });
    expect(invalid.status).toBe(422);
    expect(invalid.headers.get("hx-retarget")).toBe("#new-contact");
    expect(invalid.text).toContain('id="new-contact-firstName-error"');
  });

  it("edits a row in place: the edit row, then the saved row", async () => {
    const id = await data.shards.use(
      data.get("shop"),
      (s) => (s.statement("SELECT id FROM contacts WHERE first_name = 'Grace'").get() as { id: number }).id,
    );
    const edit = await owner.htmx("GET", `/t/shop/contacts/${id}/edit?fragment=row`);
    expect(edit.text).toContain(`<tr id="contact-${id}" class="editing">`);
    const saved = await owner.htmx("POST", `/t/shop/contacts/${id}`, {
      _fragment: "row",
      firstName: "Grace",
      lastName: "Brewster Hopper",
      email: "grace@navy.example",
      companyName: "",
      ownerId: "",
      tags: "",
    });
    expect(saved.status).toBe(200);
    expect(saved.text).toContain("Grace Brewster Hopper");
    expect(saved.text).not.toContain("editing");
    const bad = await owner.htmx("POST", `/t/shop/contacts/${id}`, {
      _fragment: "row",
      firstName: "",
      companyName: "",
      ownerId: "",
      tags: "",
    });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain(`id="edit-${id}-firstName-error"`);
  });

  it("filters and pages return only the results fragment", async () => {
    const results = await owner.htmx("GET", "/t/shop/contacts?q=grace");
    expect(results.text).toStartWith('<section id="contacts-results"');
    expect(results.text).toContain("Brewster Hopper");
    expect(results.text).not.toContain("<html");
  });

  it("deletes a row with an empty 200 that htmx swaps in place of it, and the row is gone from the list", async () => {
    const made = {
      contacts: (await call("POST", "/t/shop/contacts", { firstName: "Rowena", lastName: "Gone" })).json.id,
      companies: (await call("POST", "/t/shop/companies", { name: "Rowgone Ltd" })).json.id,
      deals: (await call("POST", "/t/shop/deals", { title: "Rowgone deal" })).json.id,
    };
    const kinds = Object.entries(made) as [keyof typeof made, number][];
    expect(kinds.map(([, id]) => typeof id)).toEqual(["number", "number", "number"]);
    const singular = { contacts: "contact", companies: "company", deals: "deal" } as const;
    for (const [list, id] of kinds) {
      const row = new RegExp(`<tr id="${singular[list]}-${id}">[\\s\\S]*?</tr>`);
      const before = await owner.get(`/t/shop/${list}`);
      // What app.js needs to upgrade the row's Delete: the list's path and noun on the tbody, a
      // plain link to the confirmation page in the row (no per-row htmx attributes).
      expect(before.text).toContain(
        `<tbody id="${singular[list]}-rows" tabindex="-1" data-row-actions="/t/shop/${list}" data-noun="${singular[list]}"`,
      );
      const markup = row.exec(before.text)?.[0] ?? "";
      // Its accessible name says which record: "Delete <name>".
      expect(markup).toMatch(
        new RegExp(`<a href="/t/shop/${list}/${id}/delete" class="danger">Delete<span> [^<]+</span></a>`),
      );
      expect(markup).not.toContain("hx-");
      const response = await owner.htmx("POST", `/t/shop/${list}/${id}/delete`);
      expect([response.status, response.text]).toEqual([200, ""]);
      const after = await owner.get(`/t/shop/${list}`);
      expect(after.status).toBe(200);
      expect(after.text).not.toMatch(row);
      expect((await owner.get(`/t/shop/${list}/${id}`)).status).toBe(404);
    }
  });

  it("a write without the CSRF header is refused", async () => {
    const before = await contactCount();
    const response = await owner.request("POST", "/t/shop/contacts", {
      body: new URLSearchParams({ firstName: "Mallory" }),
      headers: { "content-type": "application/x-www-form-urlencoded", "hx-request": "true" },
    });
    expect(response.status).toBe(403);
    expect(await contactCount()).toBe(before);
  });
});

describe("company pages", () => {
  it("creates, lists with its contact count, edits and deletes a company; its contacts stay", async () => {
    await owner.get("/t/shop/companies/new");
    const created = await owner.post("/t/shop/companies", {
      name: "Babbage & Sons",
      domain: "https://www.Babbage.example/about",
      phone: "",
      city: "London",
      country: "United Kingdom",
      ownerId: "",
      tags: "supplier",
    });
    expect(created.status).toBe(303);
    const id = (created.headers.get("location") as string).split("/").pop();
    const page = await owner.get(`/t/shop/companies/${id}`);
    expect(page.text).toContain("Babbage &amp; Sons");
    expect(page.text).toContain('href="https://babbage.example"');

    await owner.post("/t/shop/contacts", {
      firstName: "Charles",
      companyName: "babbage & sons",
      ownerId: "",
      tags: "",
    });
    const list = await owner.get("/t/shop/companies?q=babbage");
    expect(list.text).toMatch(new RegExp(`companyId=${id}">1</a>`));

    const edited = await owner.htmx("POST", `/t/shop/companies/${id}`, {
      _fragment: "row",
      name: "Babbage and Sons",
      domain: "babbage.example",
      city: "London",
      country: "UK",
      ownerId: "",
      tags: "",
    });
    expect(edited.text).toContain("Babbage and Sons");

    expect((await owner.post(`/t/shop/companies/${id}/delete`, {})).status).toBe(303);
    const charles = await data.shards.use(data.get("shop"), (s) =>
      s.statement("SELECT company_id AS companyId FROM contacts WHERE first_name = 'Charles'").get(),
    );
    expect(charles).toEqual({ companyId: null });
  });

  it("rejects a javascript: URL as a domain", async () => {
    const response = await owner.post("/t/shop/companies", {
      name: "Evil",
      domain: "javascript:alert(1)",
      ownerId: "",
      tags: "",
    });
    expect(response.status).toBe(422);
    expect(response.text).toContain("must be a domain name like acme.com");
  });

  it("suggests company names as you type", async () => {
    await owner.post("/t/shop/companies", { name: "Cobalt Logistics", ownerId: "", tags: "" });
    const options = await owner.htmx("GET", "/t/shop/companies/options?companyName=cob");
    expect(options.text).toBe('<option value="Cobalt Logistics"></option>');
  });
});

describe("read-only users", () => {
  it("see the list without write controls and get 403 on every write, with nothing written", async () => {
    const viewer = await signIn(server.url, "shop", "viewer@shop.test");
    const list = await viewer.get("/t/shop/contacts");
    expect(list.status).toBe(200);
    expect(list.text).not.toContain('id="new-contact"');
    const before = await contactCount();
    expect((await viewer.post("/t/shop/contacts", { firstName: "Nope" })).status).toBe(403);
    expect((await viewer.htmx("POST", "/t/shop/contacts", { firstName: "Nope" })).status).toBe(403);
    expect((await viewer.post("/t/shop/companies", { name: "Nope" })).status).toBe(403);
    expect(await contactCount()).toBe(before);
  });
});

describe("what goes and what stays when a record is deleted", () => {
  it("a deleted deal's notes go with it and its tasks stay, unlinked and otherwise unchanged", async () => {
    const deal = (await call("POST", "/t/shop/deals", { title: "Doomed deal" })).json;
    const keeper = (await call("POST", "/t/shop/deals", { title: "Kept deal" })).json;
    const note = async (subjectId: number, body: string) => {
      const created = await call("POST", "/t/shop/notes", { subjectType: "deal", subjectId, body });
      expect(created.status).toBe(201);
      return created.json.id as number;
    };
    const notes = [await note(deal.id, "Quokka pricing memo"), await note(deal.id, "Second memo")];
    const keptNote = await note(keeper.id, "Kept memo");
    const task = async (title: string) => {
      const created = await call("POST", "/t/shop/tasks", {
        title,
        subjectType: "deal",
        subjectId: deal.id,
        assigneeId: ownerId,
      });
      expect(created.status).toBe(201);
      return created.json;
    };
    const ownerId = await data.shards.use(
      data.get("shop"),
      (s) => (s.statement("SELECT id FROM users WHERE email = 'owner@shop.test'").get() as { id: number }).id,
    );
    const open = await task("Call them back");
    const done = await task("Send the quote");
    expect((await call("PATCH", `/t/shop/tasks/${done.id}`, { completed: true })).status).toBe(200);
    const doneBefore = (await call("GET", `/t/shop/tasks/${done.id}`)).json;
    expect((await call("GET", "/t/shop/search?q=quokka")).json.note).toHaveLength(1);

    await owner.get(`/t/shop/deals/${deal.id}/delete`);
    expect((await owner.post(`/t/shop/deals/${deal.id}/delete`, {})).status).toBe(303);

    for (const id of notes) expect((await call("GET", `/t/shop/notes/${id}`)).status).toBe(404);
    const leftOnDeal = await data.shards.use(data.get("shop"), (s) =>
      s
        .statement("SELECT count(*) AS n FROM notes WHERE subject_type = 'deal' AND subject_id = ?")
        .get(deal.id),
    );
    expect(leftOnDeal).toEqual({ n: 0 });
    expect((await call("GET", "/t/shop/search?q=quokka")).json.note).toEqual([]);
    expect((await call("GET", `/t/shop/notes/${keptNote}`)).json).toMatchObject({ body: "Kept memo" });

    // Unlinked tasks get a new updatedAt (their record changed: a mirror must see it), nothing else.
    const openAfter = (await call("GET", `/t/shop/tasks/${open.id}`)).json;
    expect(openAfter).toEqual({
      ...open,
      subjectType: null,
      subjectId: null,
      updatedAt: openAfter.updatedAt,
    });
    expect(Date.parse(openAfter.updatedAt)).toBeGreaterThanOrEqual(Date.parse(open.updatedAt));
    const doneAfter = (await call("GET", `/t/shop/tasks/${done.id}`)).json;
    expect(doneAfter).toEqual({
      ...doneBefore,
      subjectType: null,
      subjectId: null,
      updatedAt: doneAfter.updatedAt,
    });
    expect(Date.parse(doneAfter.updatedAt)).toBeGreaterThanOrEqual(Date.parse(doneBefore.updatedAt));
    const myTasks = await owner.get("/t/shop/tasks");
    expect(myTasks.text).toContain(`id="task-${open.id}"`);
  });

  it("deleting a company unlinks exactly its people and logs company.deleted with how many", async () => {
    const doomed = (await call("POST", "/t/shop/companies", { name: "Unlinked Co" })).json;
    const other = (await call("POST", "/t/shop/companies", { name: "Staying Co" })).json;
    const person = async (firstName: string, companyId: number) =>
      (await call("POST", "/t/shop/contacts", { firstName, companyId })).json.id as number;
    const people = [
      await person("Una", doomed.id),
      await person("Ugo", doomed.id),
      await person("Uma", doomed.id),
    ];
    const stayer = await person("Sam", other.id);

    await owner.get(`/t/shop/companies/${doomed.id}/delete`);
    expect((await owner.post(`/t/shop/companies/${doomed.id}/delete`, {})).status).toBe(303);

    const companyOf = await data.shards.use(data.get("shop"), (s) =>
      Object.fromEntries(
        (
          s
            .statement(
              `SELECT id, company_id AS companyId FROM contacts WHERE id IN (${[...people, stayer].join(",")})`,
            )
            .all() as { id: number; companyId: number | null }[]
        ).map((r) => [r.id, r.companyId]),
      ),
    );
    expect(companyOf).toEqual({
      ...Object.fromEntries(people.map((id) => [id, null])),
      [stayer]: other.id,
    });
    const logged = await data.shards.use(data.get("shop"), (s) =>
      (
        s
          .statement(
            "SELECT kind, payload FROM interactions WHERE subject_type = 'company' AND subject_id = ? ORDER BY id",
          )
          .all(doomed.id) as { kind: string; payload: string }[]
      ).map((r) => ({ kind: r.kind, payload: JSON.parse(r.payload) })),
    );
    expect(logged).toEqual([
      { kind: "company.created", payload: { name: "Unlinked Co" } },
      { kind: "company.deleted", payload: { name: "Unlinked Co", contactsUnlinked: 3 } },
    ]);
  });

  it("never reuses an interaction id: after deletions, an erasure and the newest entries going, the next id is above every id ever issued", async () => {
    const highest = () =>
      data.shards.use(
        data.get("shop"),
        (s) => (s.statement("SELECT max(id) AS id FROM interactions").get() as { id: number }).id,
      );
    const gone = (await call("POST", "/t/shop/contacts", { firstName: "Newest", lastName: "Record" })).json;
    expect(
      (
        await call("POST", "/t/shop/interactions", {
          kind: "call",
          subjectType: "contact",
          subjectId: gone.id,
          summary: "Hi",
        })
      ).status,
    ).toBe(201);
    expect((await call("DELETE", `/t/shop/contacts/${gone.id}`)).status).toBe(204);
    const erased = (await call("POST", "/t/shop/contacts", { firstName: "Erin", lastName: "Erased" })).json;
    await owner.get(`/t/shop/privacy/contacts/${erased.id}/erasure`);
    const started = await owner.post(`/t/shop/privacy/contacts/${erased.id}/erasure`, {});
    expect(started.status).toBe(303);
    // The erasure runs in the background: the id is read once its page says it is done.
    expect((await waitForTask(owner, started.headers.get("location"))).status).toBe("Done.");
    const issued = await highest();
    const erasedEntry = await data.shards.use(data.get("shop"), (s) =>
      s.statement("SELECT kind, subject_id AS subjectId FROM interactions WHERE id = ?").get(issued),
    );
    expect(erasedEntry).toEqual({ kind: "contact.erased", subjectId: erased.id });
    // Even if the newest entries leave the log (by hand, or a retention job one day), their ids stay used.
    await data.shards.use(data.get("shop"), (s) =>
      s.statement("DELETE FROM interactions WHERE id > ?").run(issued - 3),
    );
    expect(await highest()).toBe(issued - 3);

    const next = await call("POST", "/t/shop/interactions", {
      kind: "meeting",
      subjectType: "contact",
      subjectId: (await call("GET", "/t/shop/contacts?limit=1")).json.data[0].id,
      summary: "After",
    });
    expect(next.status).toBe(201);
    expect(next.json.id).toBeGreaterThan(issued);
    const company = (await call("POST", "/t/shop/companies", { name: "Later Co" })).json;
    const created = await call("GET", `/t/shop/interactions?subjectType=company&subjectId=${company.id}`);
    expect(created.json.data).toHaveLength(1);
    expect(created.json.data[0].id).toBeGreaterThan(next.json.id);
  });
});
