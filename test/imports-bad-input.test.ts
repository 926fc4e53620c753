import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { COMPANY_KIND } from "../src/companies/company-kind.ts";
import { CONTACT_KIND } from "../src/contacts/contact-kind.ts";
import { parseCustomValues } from "../src/custom-fields/field-values.ts";
import { createField } from "../src/custom-fields/manage-fields.ts";
import { SYSTEM_ACTOR } from "../src/identity/viewer.ts";
import type { Tenant } from "../src/tenancy/catalog-schema.ts";
import { type FinishedTask, waitForTask } from "./support/background-task.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { importIdOf, streamOf, upload } from "./support/import-upload.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir, signIn } from "./support/workspace.ts";
import { expectTakenBack, workspaceRows } from "./support/workspace-rows.ts";

/**
 * CSV import refusing bad input, over the real server, real worker threads and the real
 * workspace file: each bad file gets a message saying what is wrong (a refusal of the whole
 * file on the upload form, or the row's reason in the dry run and its report while the rest
 * imports), and a Cancel or a failure mid-run leaves every table of the workspace as it was.
 *
 * The upload limit is set to 16 MB here: it stands for the default 128 MB (and the issue's
 * 200 MB file), which a test need not stream to prove the same refusal.
 */
const SLUG = "bad";
const LIMIT = 16 * 1024 * 1024;
const dir = tempDir();
let server: TestServer;
let data: DataDir;
let tenant: Tenant;
let owner: BrowserClient;

beforeAll(async () => {
  data = new DataDir(dir.path);
  tenant = await data.tenant(SLUG, "owner@bad.test");
  await data.shards.use(tenant, (shard) => {
    const fields = [
      createField(shard, SYSTEM_ACTOR, { entity: "contact", key: "met", label: "Met on", type: "date" }),
    ];
    const acme = COMPANY_KIND.create(shard, SYSTEM_ACTOR, { name: "Acme", tags: ["client"] });
    CONTACT_KIND.create(shard, SYSTEM_ACTOR, {
      firstName: "Ada",
      lastName: "Lovelace",
      email: "ada@bad.test",
      title: "Countess",
      companyId: acme.id,
      tags: ["vip"],
      customFields: parseCustomValues(fields, { met: "2020-01-02" }),
    });
  });
  server = await startServer({
    dataDir: dir.path,
    env: { CRM_IMPORT_MAX_BYTES: String(LIMIT), CRM_BODY_TIMEOUT_SECONDS: "2" },
  });
  owner = await signIn(server.url, SLUG, "owner@bad.test");
}, 60_000);

afterAll(async () => {
  await server?.stop();
  data?.close();
  dir.remove();
});

const sql = <T>(query: string, ...params: (string | number | null)[]) =>
  data.shards.use(tenant, (s) => s.statement(query).all(...params) as T[]);

/**
 * Tables that record the import itself, not the workspace's data: the import (its page says it
 * was cancelled and nothing changed), its background task, and the person's session (its
 * last-seen time moves as they browse). SQLite's own: the counter of ids handed out (ids are
 * never reused, as after any record made and deleted) and the full-text index's segment
 * b-trees, whose layout depends on history (the indexed text is compared through the virtual
 * tables and their docsize tables). And the workspace's version (shard_state.change_counter):
 * every write moves it on so that cached counts and reports are never stale, and it must never
 * go back (a figure cached mid-import would look fresh again).
 */

/**
 * The machine these tests share may be so loaded that a worker's short write transaction runs
 * past the 20 ms the server's thread waits for the lock: the server then answers 503 with
 * Retry-After ("busy"), writing nothing, and a person (or htmx's polling) tries again. So do
 * these helpers, within a deadline.
 */
async function patiently<T extends { status: number }>(send: () => Promise<T>, ms = 30_000): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const response = await send();
    if (response.status !== 503 || performance.now() > deadline) return response;
    await Bun.sleep(50);
  }
}

/** waitForTask, polling again after a 503 as the progress page's htmx polling does. */
async function waitTask(client: BrowserClient, location: string | null, ms = 90_000): Promise<FinishedTask> {
  const deadline = performance.now() + ms;
  for (;;) {
    try {
      return await waitForTask(client, location, Math.max(1, deadline - performance.now()));
    } catch (error) {
      if (!/: 503$/.test((error as Error).message) || performance.now() > deadline) throw error;
    }
  }
}

/** Every row of every table of data of the workspace, to compare before and after. */
const dump = () => workspaceRows(sql);

async function importsCount(): Promise<number> {
  return (await sql<{ n: number }>("SELECT count(*) AS n FROM imports"))[0]?.n ?? -1;
}

/** The files kept for imports of this workspace (uploads, reports). */
function storedFiles(): string[] {
  const folder = join(dir.path, "imports", tenant.id);
  return existsSync(folder) ? readdirSync(folder) : [];
}

/** The message a refused upload shows on the imports page. */
function alertOf(page: string): string {
  // The message beside the file field, or the form's list of errors; else the page's start.
  const text =
    /<small class="field-error"[^>]*>([\s\S]*?)<\/small>/.exec(page)?.[1] ??
    /<div class="form-errors" role="alert">([\s\S]*?)<\/div>/.exec(page)?.[1] ??
    page.slice(0, 3000);
  return text
    .replace(/<[^>]+>/g, "")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .trim();
}

/** Uploads `file` and expects it refused with `status` and a message containing `message`; nothing kept. */
async function refused(
  file: string | Uint8Array | ReadableStream<Uint8Array>,
  status: number,
  message: string,
) {
  const before = await dump();
  const imports = await importsCount();
  const files = storedFiles();
  const response = await upload(owner, SLUG, file);
  expect(response.status).toBe(status);
  expect(alertOf(response.text)).toContain(message);
  expect(await importsCount()).toBe(imports);
  expect(storedFiles()).toEqual(files);
  expect(await dump()).toEqual(before);
}

/** The mapping form submitted with `fill`, then the dry run awaited; returns the import's page. */
async function dryRun(id: number, fill: Record<string, string> = {}) {
  const page = await patiently(() => owner.get(`/t/${SLUG}/imports/${id}`));
  const form = owner.forms(page.text).find((f) => f.action.endsWith(`/imports/${id}/mapping`));
  if (!form) throw new Error(`no mapping form:\n${page.text.slice(0, 3000)}`);
  const sent = await patiently(() => owner.submit(form, { fill }));
  expect(sent.status).toBe(303);
  const task = await waitTask(owner, sent.headers.get("location"));
  expect(task.status).toBe("Done.");
  return { task, page: (await patiently(() => owner.get(`/t/${SLUG}/imports/${id}`))).text };
}

async function startRun(id: number) {
  const sent = await patiently(() => owner.post(`/t/${SLUG}/imports/${id}/run`, {}));
  if (sent.status !== 303) throw new Error(sent.text.slice(0, 3000));
  return sent.headers.get("location");
}

/** Waits, up to a deadline, until `condition` holds. */
async function until(what: string, condition: () => Promise<boolean>, ms = 30_000) {
  const deadline = performance.now() + ms;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await Bun.sleep(5);
  }
}

const plain = (html: string) =>
  html
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&");

describe("files refused as a whole, with nothing kept", () => {
  it("a file over the limit (16 MB here, standing for 200 MB) is cut off as it streams", async () => {
    await refused(
      streamOf(LIMIT + 1024 * 1024, (i) => `P${i},Q${i},p${i}@big.test\n`, "First Name,Last Name,Email\n"),
      413,
      "the file is larger than 16 MB (16,777,216 bytes)",
    );
  }, 30_000);

  it("an upload that stops sending is stopped (after CRM_BODY_TIMEOUT_SECONDS, 2 s here)", async () => {
    const encoder = new TextEncoder();
    let sent = false;
    const stalled = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent) return new Promise<void>(() => undefined); // never another byte
        sent = true;
        controller.enqueue(encoder.encode("First Name,Last Name,Email\nAda,Lovelace,ada@stall.test\n"));
      },
    });
    await refused(stalled, 408, "nothing of the file arrived for 2 seconds, so the upload was stopped");
  }, 30_000);

  it("an empty file, and one of blank lines", async () => {
    await refused("", 422, "the file is empty");
    await refused("\r\n\n  \n", 422, "the file is empty (only blank lines)");
  });

  it("a header row and nothing under it", async () => {
    await refused("First Name,Last Name,Email\r\n", 422, "the file has a header row but no rows under it");
  });

  it("10,000 columns", async () => {
    const header = Array.from({ length: 10_000 }, (_, i) => `Col ${i}`).join(",");
    const row = Array.from({ length: 10_000 }, (_, i) => `v${i}`).join(",");
    await refused(
      `${header}\n${row}\n`,
      422,
      "the header row has 10,000 columns; an import reads at most 1,000",
    );
  });

  it("a header whose quote never closes", async () => {
    await refused(
      'First Name,"Last Name,Email\nAda,Lovelace,a@x.test\n',
      422,
      "a quote in the header row never closes",
    );
  });
});

describe("rows refused one by one while the rest imports", () => {
  it("reports each bad row with its reason, imports the rest, and Undo takes it back", async () => {
    const before = await dump();
    const bigCell = "x".repeat(5 * 1024 * 1024);
    const encoder = new TextEncoder();
    const lines = [
      "First Name,Last Name,Email,Job Title,Met on,Email,Notes",
      "Grace,Hopper,grace@bad.test,Admiral,2024-02-05,other@bad.test,", // 2: the second Email column is left out
      "Alan,Turing,alan@bad.test,null,5/2/24 1:51,,", // 3: null is empty; 5/2/24 is 2 May? no: 5 February or 2 May → refused in auto
      "Katherine,Johnson,kj@bad.test,Mathematician,13/2/24 1:51,,", // 4: 13/2/24 can only be 13 February
      `Big,Cell,big@bad.test,${bigCell},,,`, // 5: a 5 MB cell in a mapped column
      "Grace,Again,GRACE@bad.test,,,,", // 6: an email already on row 2
      `Many,Cells,many@bad.test,,,,${",x".repeat(10_000)}`, // 7: 10,000 cells more than the header
      "Ada,Lovelace,ada@bad.test,null,,,", // 8: null changes nothing: already up to date
    ];
    const head = encoder.encode(`${lines.join("\r\n")}\r\n`);
    const broken = new Uint8Array([
      ...encoder.encode("Zoë,Bro"),
      0xff,
      0xfe,
      ...encoder.encode("ken,zoe@bad.test,,,,\r\n"),
    ]); // 9
    const tail = encoder.encode(
      'Last,Row,last@bad.test,Closer,,,\r\nOpen,"Quote,open@bad.test,,,,\r\nNever,Read,never@bad.test,,,,\r\n',
    ); // 10, 11
    const file = new Uint8Array(head.length + broken.length + tail.length);
    file.set(head, 0);
    file.set(broken, head.length);
    file.set(tail, head.length + broken.length);

    const id = importIdOf(await upload(owner, SLUG, file, { fileName: "bad rows.csv" }));
    const mapping = await owner.get(`/t/${SLUG}/imports/${id}`);
    expect(mapping.status).toBe(200);
    expect(mapping.text.length).toBeLessThan(200_000); // the 5 MB cell is not shown whole
    expect(mapping.text).toContain("Same name as column 3");

    const checked = await dryRun(id);
    expect(checked.task.text).toContain("10 rows: 3 to create, 0 to update, 1 to skip, 6 rejected.");
    const page = plain(checked.page);
    expect(page).toContain(
      '"5/2/24 1:51" could be 2 May or 5 February 2024: choose month first or day first under "Dates" and check again',
    );
    expect(page).toContain('column "Job Title" holds 5,242,880 characters; a value may have at most 100,000');
    expect(page).toContain("the email grace@bad.test is also on row 2: a file may name each record once");
    expect(page).toContain("has 10,007 cells, but the header row has 7");
    expect(page).toContain('column "Last Name" has bytes that are not valid UTF-8');
    expect(page).toContain("a quote opened on line 11 (column 2) never closes");
    const report = await owner.get(`/t/${SLUG}/imports/${id}/rejected.csv`);
    expect(report.status).toBe(200);
    const reportRows = report.text.split("\r\n").map((line) => /^(\d+),/.exec(line)?.[1]);
    expect(reportRows.filter(Boolean)).toEqual(["3", "5", "6", "7", "9", "11"]);
    expect(await dump()).toEqual(before);

    // Day first: 5/2/24 is 5 February; the rows that are fine go in, the others stay out.
    const again = await dryRun(id, { dateOrder: "dmy" });
    expect(again.task.text).toContain("10 rows: 4 to create, 0 to update, 1 to skip, 5 rejected.");
    const run = await waitTask(owner, await startRun(id));
    expect(run.status).toBe("Done.");
    expect(run.text).toContain("4 created, 0 updated, 1 skipped, 5 rejected, of 10 rows.");
    const people = await sql<{ email: string; title: string | null; met: string | null }>(
      `SELECT c.email, c.title, (SELECT v.text_value FROM custom_values v JOIN custom_fields f ON f.id = v.field_id
         WHERE f.entity = 'contact' AND f.key = 'met' AND v.record_id = c.id) AS met FROM contacts c ORDER BY c.id`,
    );
    expect(people.map((p) => [p.email, p.title])).toEqual([
      ["ada@bad.test", "Countess"],
      ["grace@bad.test", "Admiral"],
      ["alan@bad.test", null],
      ["kj@bad.test", "Mathematician"],
      ["last@bad.test", "Closer"],
    ]);
    expect(people.map((p) => p.met && String(p.met).replaceAll('"', ""))).toEqual([
      "2020-01-02",
      "2024-02-05",
      "2024-02-05",
      "2024-02-13",
      null,
    ]);

    const undo = await patiently(() => owner.post(`/t/${SLUG}/imports/${id}/undo`, {}));
    expect(undo.status).toBe(303);
    expect((await waitTask(owner, undo.headers.get("location"))).status).toBe("Done.");
    const after = await dump();
    // Undo is a change people see in the log (each removed record's *.deleted entry); the data is as before.
    const { interactions: _a, ...rest } = after;
    const { interactions: _b, ...restBefore } = before;
    expect(rest).toEqual(restBefore);
    rmSync(join(dir.path, "imports", tenant.id), { recursive: true, force: true });
  }, 60_000);

  it("nullAsEmpty unticked keeps the word null as text", async () => {
    const id = importIdOf(
      await upload(owner, SLUG, "First Name,Last Name,Email,Job Title\nNull,Person,np@bad.test,null\n"),
    );
    await dryRun(id, { nullAsEmpty: "" });
    const run = await waitTask(owner, await startRun(id));
    expect(run.status).toBe("Done.");
    expect(await sql("SELECT title FROM contacts WHERE email = 'np@bad.test'")).toEqual([{ title: "null" }]);
  }, 30_000);

  it("a file read as Windows-1252 because it is not UTF-8 (FF FE C3 28 in a cell) says so on the mapping screen", async () => {
    const head = new TextEncoder().encode("First Name,Last Name,Email\nOdd,");
    const tail = new TextEncoder().encode(",odd@bad.test\n");
    const id = importIdOf(
      await upload(owner, SLUG, new Uint8Array([...head, 0xff, 0xfe, 0xc3, 0x28, ...tail])),
    );
    const page = await owner.get(`/t/${SLUG}/imports/${id}`);
    expect(page.text).toContain("Read as Windows-1252 / Latin-1. The file is not valid UTF-8");
    expect(page.text).toContain(
      "holds the bytes FF FE or FE FF of a UTF-16 byte-order mark where none belongs",
    );
  }, 30_000);

  it("a first name `null` (read as empty) says First name is required; the report is the server's to read only", async () => {
    const id = importIdOf(
      await upload(
        owner,
        SLUG,
        "First Name,Last Name,Email\nnull,Nobody,nobody@bad.test\nReal,Body,real@bad.test\n",
      ),
    );
    await dryRun(id);
    const page = await owner.get(`/t/${SLUG}/imports/${id}`);
    expect(page.text).toContain("First name is required");
    expect(page.text).not.toContain("Invalid input");
    const [row] = await sql<{ report: string | null }>(
      "SELECT report_file AS report FROM imports WHERE id = ?",
      id,
    );
    if (!row?.report) throw new Error("no report");
    expect(statSync(join(dir.path, row.report)).mode & 0o777).toBe(0o600);
  }, 30_000);
});

describe("an import stopped half-way leaves the records as they were, the taking back logged", () => {
  const ROWS = 60_000;
  const bulk = () => {
    // Ada is updated (a new title, tag and date); then new people, with a new tag, some with a new company.
    const lines = [
      "First Name,Last Name,Email,Job Title,Tags,Met on,Company",
      "Ada,Lovelace,ada@bad.test,Engineer,new,2021-05-06,",
    ];
    for (let i = 0; i < ROWS; i++)
      lines.push(
        `P${i},Q${i},p${i}@bulk.test,T${i},bulk,2024-03-0${(i % 9) + 1},${i % 10 === 0 ? `Firm ${i}` : ""}`,
      );
    return `${lines.join("\n")}\n`;
  };

  async function midRun(
    stop: (importId: number, taskPath: string) => Promise<void>,
    status: string,
    message: string,
  ) {
    const before = await dump();
    const id = importIdOf(await upload(owner, SLUG, bulk(), { fileName: "bulk.csv" }));
    await dryRun(id);
    const location = await startRun(id);
    if (!location) throw new Error("no task page");
    const [stored] = await sql<{ file: string | null }>(
      "SELECT stored_file AS file FROM imports WHERE id = ?",
      id,
    );
    if (!stored?.file) throw new Error("no stored file");
    // Some rows are in: the import is half-way.
    await until("rows are written", async () => {
      const n = (await sql<{ n: number }>("SELECT count(*) AS n FROM contacts"))[0]?.n ?? 0;
      return n > 1000;
    });
    await stop(id, location);
    const task = await waitTask(owner, location);
    expect(task.status).toBe(status);
    expect(plain(task.text)).toContain(message);
    const page = await patiently(() => owner.get(`/t/${SLUG}/imports/${id}`));
    expect(page.text).toContain("Nothing was changed: everything it wrote was taken back.");
    expectTakenBack(await dump(), before);
    // Nothing will read the upload again: it is gone from the disk and from the import.
    await until("the upload is let go", async () => {
      const [row] = await sql<{ file: string | null }>(
        "SELECT stored_file AS file FROM imports WHERE id = ?",
        id,
      );
      return row?.file === null;
    });
    expect(existsSync(join(dir.path, stored.file))).toBe(false);
  }

  it("after Cancel", async () => {
    await midRun(
      async (_id, location) => {
        const sent = await patiently(() => owner.post(`${location}/cancel`, {}));
        expect(sent.status).toBeLessThan(400);
      },
      "Cancelled.",
      "cancelled: nothing was changed",
    );
  }, 120_000);

  it("after a failure (the uploaded file vanished from the disk)", async () => {
    await midRun(
      async (id) => {
        const [row] = await sql<{ file: string }>("SELECT stored_file AS file FROM imports WHERE id = ?", id);
        if (!row?.file) throw new Error("no stored file");
        rmSync(join(dir.path, row.file));
      },
      "Failed.",
      "it failed on our side; it has been logged",
    );
  }, 120_000);
});
