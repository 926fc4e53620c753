import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { Tenant } from "../src/tenancy/catalog-schema.ts";
import { waitForTask } from "./support/background-task.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { importIdOf, upload } from "./support/import-upload.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir, signIn } from "./support/workspace.ts";

/**
 * CSV import through the real server, real worker threads and real workspace files: upload,
 * mapping, dry run, run, Undo, each as a person does it with the pages, and what ends up in the
 * workspace (records, their log entries, the import's journal) read from the file itself.
 */
const SLUG = "imp";
const dir = tempDir();
let server: TestServer;
let data: DataDir;
let tenant: Tenant;
let owner: BrowserClient;

beforeAll(async () => {
  data = new DataDir(dir.path);
  tenant = await data.tenant(SLUG, "owner@imp.test");
  server = await startServer({ dataDir: dir.path, env: { CRM_BUSY_TIMEOUT_MS: process.env.BT ?? "20" } });
  owner = await signIn(server.url, SLUG, "owner@imp.test");
}, 60_000);

afterAll(async () => {
  await server?.stop();
  data?.close();
  dir.remove();
});

const sql = <T>(query: string, ...params: (string | number | null)[]) =>
  data.shards.use(tenant, (s) => s.statement(query).all(...params) as T[]);

/** The value selected in column `i`'s menu of the mapping screen. */
function selected(page: string, i: number): string | undefined {
  const menu = new RegExp(`<select id="col-${i}"[^>]*>(.*?)</select>`, "s").exec(page)?.[1] ?? "";
  return /<option value="([^"]*)" selected>/.exec(menu)?.[1];
}

/** Submits the import page's mapping form with `fill` and waits for the dry run. */
async function dryRun(client: BrowserClient, id: number, fill: Record<string, string> = {}) {
  const page = await client.get(`/t/${SLUG}/imports/${id}`);
  const form = client.forms(page.text).find((f) => f.action.endsWith(`/imports/${id}/mapping`));
  if (!form) throw new Error(`no mapping form:\n${page.text}`);
  const sent = await client.submit(form, { fill });
  expect(sent.status).toBe(303);
  return waitForTask(client, sent.headers.get("location"));
}

async function runImport(client: BrowserClient, id: number) {
  const sent = await client.post(`/t/${SLUG}/imports/${id}/run`, {});
  if (sent.status !== 303) throw new Error(sent.text.slice(0, 3000));
  return waitForTask(client, sent.headers.get("location"));
}

async function undoImport(client: BrowserClient, id: number) {
  const sent = await client.post(`/t/${SLUG}/imports/${id}/undo`, {});
  if (sent.status !== 303) throw new Error(sent.text.slice(0, 3000));
  return waitForTask(client, sent.headers.get("location"));
}

describe("importing contacts", () => {
  it("reads a HubSpot export, checks it, imports it with log entries, and undoes it as a whole", async () => {
    await sql(
      "INSERT INTO contacts (first_name, last_name, email, title, created_at, updated_at) VALUES ('Old', 'Timer', 'old@x.test', 'CTO', 1, 1)",
    );
    const csv = [
      "First Name,Last Name,Email Address,Company Name,Job Title,Phone Number",
      "Ada,Lovelace,ada@x.test,Analytical Engines,Countess,+44 20 7946 0000",
      "Grace,Hopper,GRACE@x.test,Navy,,",
      "Old,Timer,old@x.test,,Chief Technology Officer,",
      ",,,,,",
      "Bad,Email,not-an-email,,,",
      "Ada,Again,ada@x.test,,,",
    ].join("\r\n");
    const uploaded = await upload(owner, SLUG, csv, { fileName: "hubspot.csv" });
    const id = importIdOf(uploaded);
    const page = await owner.get(`/t/${SLUG}/imports/${id}`);
    expect(page.status).toBe(200);
    const targets = ["firstName", "lastName", "email", "companyName", "title", "phone"];
    expect(targets.map((_, i) => selected(page.text, i))).toEqual(targets);

    const checked = await dryRun(owner, id);
    expect(checked.status).toBe("Done.");
    expect(checked.text).toContain("6 rows: 2 to create, 1 to update, 1 to skip, 2 rejected.");
    expect((await sql<{ n: number }>("SELECT count(*) AS n FROM contacts"))[0]?.n).toBe(1);
    const results = await owner.get(`/t/${SLUG}/imports/${id}`);
    expect(results.text).toContain("Email: must be a valid email address");
    expect(results.text).toContain("the email ada@x.test is also on row 2");
    const report = await owner.get(`/t/${SLUG}/imports/${id}/rejected.csv`);
    expect(report.status).toBe(200);
    expect(report.text.split("\r\n")[0]).toBe(
      "Row,Why it was not imported,First Name,Last Name,Email Address,Company Name,Job Title,Phone Number",
    );
    expect(report.text).toContain("6,Email: must be a valid email address,Bad,Email,not-an-email,,,");

    const done = await runImport(owner, id);
    expect(done.status).toBe("Done.");
    expect(done.text).toContain("2 created, 1 updated, 1 skipped, 2 rejected, of 6 rows.");
    const people = await sql<{
      first_name: string;
      email: string;
      title: string | null;
      company: string | null;
    }>(
      "SELECT c.first_name, c.email, c.title, co.name AS company FROM contacts c LEFT JOIN companies co ON co.id = c.company_id ORDER BY c.id",
    );
    expect(people).toEqual([
      { first_name: "Old", email: "old@x.test", title: "Chief Technology Officer", company: null },
      { first_name: "Ada", email: "ada@x.test", title: "Countess", company: "Analytical Engines" },
      { first_name: "Grace", email: "grace@x.test", title: null, company: "Navy" },
    ]);
    const log = await sql<{ kind: string }>("SELECT kind FROM interactions ORDER BY id");
    expect(log.map((l) => l.kind).sort()).toEqual(
      ["company.created", "company.created", "contact.created", "contact.created", "contact.updated"].sort(),
    );
    // The uploaded file is gone once imported; the report stays for the page.
    const files = readdirSync(join(dir.path, "imports", tenant.id));
    expect(files.filter((f) => !f.endsWith("-rejected.csv"))).toEqual([]);

    const undone = await undoImport(owner, id);
    expect(undone.status).toBe("Done.");
    expect(undone.text).toContain("4 records removed, 1 restored.");
    expect(await sql("SELECT first_name, email, title, company_id FROM contacts")).toEqual([
      { first_name: "Old", email: "old@x.test", title: "CTO", company_id: null },
    ]);
    expect(await sql("SELECT * FROM companies")).toEqual([]);
    expect(existsSync(join(dir.path, "imports", tenant.id))).toBe(true);
  }, 60_000);
});
