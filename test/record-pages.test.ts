import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir, signIn } from "./support/workspace.ts";

let server: TestServer;
const dir = tempDir();
let data: DataDir;
let owner: BrowserClient;

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

  it("deletes a row with an empty 200 so htmx removes it", async () => {
    const id = await data.shards.use(
      data.get("shop"),
      (s) => (s.statement("SELECT id FROM contacts WHERE first_name = 'Grace'").get() as { id: number }).id,
    );
    const response = await owner.htmx("POST", `/t/shop/contacts/${id}/delete`);
    expect(response.status).toBe(200);
    expect(response.text).toBe("");
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
