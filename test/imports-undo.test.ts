import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { Tenant } from "../src/tenancy/catalog-schema.ts";
import { waitForTask } from "./support/background-task.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { importIdOf, upload } from "./support/import-upload.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir, signIn } from "./support/workspace.ts";

/**
 * Undo of an import after people worked on what it created, over the real server and worker
 * threads: what was edited, given notes, linked to or from records that stay is kept (and said
 * so before and after), the rest is removed, and no link of a record that stays is broken.
 */
const SLUG = "undo";
const dir = tempDir();
let server: TestServer;
let data: DataDir;
let tenant: Tenant;
let owner: BrowserClient;

beforeAll(async () => {
  data = new DataDir(dir.path);
  tenant = await data.tenant(SLUG, "owner@undo.test");
  server = await startServer({ dataDir: dir.path });
  owner = await signIn(server.url, SLUG, "owner@undo.test");
}, 60_000);

afterAll(async () => {
  await server?.stop();
  data?.close();
  dir.remove();
});

const sql = <T>(query: string, ...params: (string | number | null)[]) =>
  data.shards.use(tenant, (s) => s.statement(query).all(...params) as T[]);

const idOf = (response: { headers: Headers }) => Number(response.headers.get("location")?.split("/").pop());

async function posted(path: string, form: Record<string, string>) {
  const response = await owner.post(`/t/${SLUG}${path}`, form);
  if (response.status !== 303 && response.status !== 200) throw new Error(response.text.slice(0, 2000));
  return response;
}

describe("Undo after people worked on what an import created", () => {
  it("keeps what was changed since, removes the rest, and unlinks nothing that stays", async () => {
    const existing = idOf(
      await posted("/contacts", { firstName: "Existing", lastName: "Person", companyName: "" }),
    );
    const csv = [
      "First Name,Last Name,Email Address,Company Name",
      "Ada,Lovelace,ada@x.test,Analytical Engines",
      "Bob,Byron,bob@x.test,",
      "Cat,Untouched,cat@x.test,",
    ].join("\r\n");
    const id = importIdOf(await upload(owner, SLUG, csv, { fileName: "people.csv" }));
    const page = await owner.get(`/t/${SLUG}/imports/${id}`);
    const form = owner.forms(page.text).find((f) => f.action.endsWith(`/imports/${id}/mapping`));
    if (!form) throw new Error(`no mapping form:\n${page.text}`);
    expect((await waitForTask(owner, (await owner.submit(form, {})).headers.get("location"))).status).toBe(
      "Done.",
    );
    const ran = await owner.post(`/t/${SLUG}/imports/${id}/run`, {});
    const done = await waitForTask(owner, ran.headers.get("location"));
    expect(done.text).toContain("3 created, 0 updated");
    const byEmail = async (email: string) =>
      (await sql<{ id: number }>("SELECT id FROM contacts WHERE email = ?", email))[0]?.id as number;
    const ada = await byEmail("ada@x.test");
    const bob = await byEmail("bob@x.test");
    const cat = await byEmail("cat@x.test");
    const company = (
      await sql<{ id: number }>("SELECT id FROM companies WHERE name = 'Analytical Engines'")
    )[0]?.id as number;

    // After the import: Ada edited, a note on Bob, the existing contact and a new deal linked to the new company.
    await posted(`/contacts/${ada}`, {
      firstName: "Augusta Ada",
      lastName: "Lovelace",
      email: "ada@x.test",
      companyName: "Analytical Engines",
    });
    await posted("/notes", { subjectType: "contact", subjectId: String(bob), body: "Called Bob" });
    await posted(`/contacts/${existing}`, {
      firstName: "Existing",
      lastName: "Person",
      companyName: "Analytical Engines",
    });
    const deal = idOf(
      await posted("/deals", {
        title: "Engine order",
        companyName: "Analytical Engines",
        contactId: String(bob),
      }),
    );

    // The Undo page says, before confirming, what will be removed and kept.
    const confirm = await owner.get(`/t/${SLUG}/imports/${id}/undo`);
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain("<strong>1 record</strong> it created will be removed");
    expect(confirm.text).toContain(
      "<strong>3 records</strong> it created will be kept: changed since the import",
    );
    expect(owner.forms(confirm.text).some((f) => f.action.endsWith(`/imports/${id}/undo`))).toBe(true);

    const sent = await owner.post(`/t/${SLUG}/imports/${id}/undo`, {});
    const undone = await waitForTask(owner, sent.headers.get("location"));
    expect(undone.status).toBe("Done.");
    expect(undone.text).toContain("1 records removed, 0 restored.");
    expect(undone.text).toContain("3 records it created were kept: changed since the import.");
    for (const href of [`contacts/${ada}`, `contacts/${bob}`, `companies/${company}`])
      expect(undone.text).toContain(`href="/t/${SLUG}/${href}"`);

    expect(await sql("SELECT id, first_name, company_id FROM contacts ORDER BY id")).toEqual(
      [
        { id: existing, first_name: "Existing", company_id: company },
        { id: ada, first_name: "Augusta Ada", company_id: company },
        { id: bob, first_name: "Bob", company_id: null },
      ].sort((a, b) => a.id - b.id),
    );
    expect(await sql("SELECT id FROM contacts WHERE id = ?", cat)).toEqual([]);
    expect(await sql("SELECT company_id FROM deals WHERE id = ?", deal)).toEqual([{ company_id: company }]);
    expect(await sql("SELECT contact_id FROM deal_contacts WHERE deal_id = ?", deal)).toEqual([
      { contact_id: bob },
    ]);
    expect(
      await sql("SELECT body FROM notes WHERE subject_type = 'contact' AND subject_id = ?", bob),
    ).toEqual([{ body: "Called Bob" }]);
  }, 90_000);
});

describe("the dry run's count of new companies", () => {
  it("counts a new company named on several rows once, as the run adds it once", async () => {
    const csv = [
      "First Name,Last Name,Email Address,Company Name",
      "One,Person,one@co.test,Brand New Ltd",
      "Two,Person,two@co.test,Brand New Ltd",
      "Three,Person,three@co.test,brand new ltd",
    ].join("\r\n");
    const id = importIdOf(await upload(owner, SLUG, csv, { fileName: "same-company.csv" }));
    const page = await owner.get(`/t/${SLUG}/imports/${id}`);
    const form = owner.forms(page.text).find((f) => f.action.endsWith(`/imports/${id}/mapping`));
    if (!form) throw new Error(`no mapping form:\n${page.text}`);
    const checked = await waitForTask(owner, (await owner.submit(form, {})).headers.get("location"));
    expect(checked.text).toContain("1 companies would be added.");
    const ran = await waitForTask(
      owner,
      (await owner.post(`/t/${SLUG}/imports/${id}/run`, {})).headers.get("location"),
    );
    expect(ran.text).toContain("3 created");
    expect(await sql("SELECT count(*) AS n FROM companies WHERE lower(name) = 'brand new ltd'")).toEqual([
      { n: 1 },
    ]);
  }, 60_000);
});
