import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Tenant } from "../src/tenancy/catalog-schema.ts";
import { waitForTask } from "./support/background-task.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { importIdOf, upload } from "./support/import-upload.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

/**
 * What an erasure reaches beyond the person's own rows, over the real server and its worker:
 * the imports that brought them in (sample, journal, stored files), and quotes of them in other
 * records (lost reasons, custom values, notes), matched as whole words and in any case, never
 * inside another name.
 */
const SLUG = "scope";
const dir = tempDir();
let server: TestServer;
let data: DataDir;
let tenant: Tenant;
let owner: BrowserClient;
let call: ReturnType<typeof api>;

beforeAll(async () => {
  data = new DataDir(dir.path);
  tenant = await data.tenant(SLUG, "owner@scope.test");
  server = await startServer({ dataDir: dir.path });
  owner = await signIn(server.url, SLUG, "owner@scope.test");
  call = api(server.url, await data.apiKey(SLUG, "admin"));
}, 60_000);

afterAll(async () => {
  await server?.stop();
  data?.close();
  dir.remove();
});

const sql = <T>(query: string, ...params: (string | number | null)[]) =>
  data.shards.use(tenant, (s) => s.statement(query).all(...params) as T[]);

async function created(path: string, body: unknown): Promise<{ id: number }> {
  const response = await call("POST", `/t/${SLUG}${path}`, body);
  if (response.status !== 201)
    throw new Error(`${path}: ${response.status} ${JSON.stringify(response.json)}`);
  return response.json;
}

/** Erases a contact as an owner does (confirmation page, then the form), and waits for the task. */
async function erase(contactId: number) {
  await owner.get(`/t/${SLUG}/privacy/contacts/${contactId}/erasure`);
  const response = await owner.post(`/t/${SLUG}/privacy/contacts/${contactId}/erasure`, {});
  expect(response.status).toBe(303);
  const task = await waitForTask(owner, response.headers.get("location"));
  expect(task.status).toBe("Done.");
  return task;
}

/** Every file under a folder, recursively (none if it does not exist). */
function filesUnder(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

const tracesIn = (file: string, traces: string[]) => {
  const bytes = readFileSync(file);
  return traces.filter((t) => bytes.includes(t));
};

describe("an erased person who came in through an import", () => {
  const PERSON = {
    first: "Ilvy",
    last: "Quarstadt",
    email: "ilvy.q@quarstadt.example",
    phone: "+46 8 555 0199 77",
  };
  const TRACES = ["Quarstadt", "quarstadt", "ilvy.q@", "0199 77"];

  it("is gone from the import's sample, journal and stored files, and from the workspace's file", async () => {
    const csv = [
      "First Name,Last Name,Email Address,Phone",
      `${PERSON.first},${PERSON.last},${PERSON.email},${PERSON.phone}`,
      "Bruno,Keller,bruno@keller.example,",
      // Rejected (a bad email): the row goes to the report of rejected rows, with their phone.
      `${PERSON.first},${PERSON.last},not-an-email,${PERSON.phone}`,
    ].join("\r\n");
    const id = importIdOf(await upload(owner, SLUG, csv, { fileName: "people.csv" }));
    const page = await owner.get(`/t/${SLUG}/imports/${id}`);
    const form = owner.forms(page.text).find((f) => f.action.endsWith(`/imports/${id}/mapping`));
    if (!form) throw new Error(`no mapping form:\n${page.text}`);
    expect((await waitForTask(owner, (await owner.submit(form, {})).headers.get("location"))).status).toBe(
      "Done.",
    );
    const done = await waitForTask(
      owner,
      (await owner.post(`/t/${SLUG}/imports/${id}/run`, {})).headers.get("location"),
    );
    expect(done.text).toContain("2 created, 0 updated");
    expect(done.text).toContain("1 rejected");
    const [person] = await sql<{ id: number }>("SELECT id FROM contacts WHERE email = ?", PERSON.email);
    const [bruno] = await sql<{ id: number }>("SELECT id FROM contacts WHERE email = 'bruno@keller.example'");
    if (!person || !bruno) throw new Error("the import did not create the contacts");

    // Before: the person is in the sample, the journal and the report; the scan sees them.
    const [before] = await sql<{ sample: string; reportFile: string }>(
      "SELECT sample, report_file AS reportFile FROM imports WHERE id = ?",
      id,
    );
    expect(before?.sample).toContain(PERSON.email);
    expect(before?.reportFile).toBeTruthy();
    const report = join(dir.path, before?.reportFile as string);
    expect(tracesIn(report, TRACES)).toContain("0199 77");
    expect(
      await sql(
        "SELECT subject_id FROM import_rows WHERE import_id = ? AND subject_type = 'contact' ORDER BY subject_id",
        id,
      ),
    ).toEqual([{ subject_id: person.id }, { subject_id: bruno.id }]);

    const task = await erase(person.id);
    expect(task.text).toContain("1 record of theirs no longer taken back by Undo, 1 file sample rewritten");

    const [after] = await sql<{
      sample: string;
      reportFile: string | null;
      storedFile: string | null;
      outcome: string;
    }>(
      "SELECT sample, report_file AS reportFile, stored_file AS storedFile, outcome FROM imports WHERE id = ?",
      id,
    );
    // The sample keeps the other rows, without a cell of the person's.
    expect(JSON.parse(after?.sample as string).rows).toEqual([
      ["Bruno", "Keller", "bruno@keller.example", ""],
    ]);
    expect(after?.reportFile).toBeNull();
    expect(after?.storedFile).toBeNull();
    expect(existsSync(report)).toBe(false);
    // The journal keeps Bruno (Undo still takes him back) and says one record went with an erasure.
    expect(
      await sql("SELECT subject_id FROM import_rows WHERE import_id = ? AND subject_type = 'contact'", id),
    ).toEqual([{ subject_id: bruno.id }]);
    expect(JSON.parse(after?.outcome as string)).toMatchObject({ created: 2, erasedRecords: 1 });
    // Nothing of them in the workspace's file, its WAL, or any import file left on disk.
    const file = join(dir.path, data.get(SLUG).file);
    const leftovers = [file, `${file}-wal`, ...filesUnder(join(dir.path, "imports"))]
      .filter((f) => existsSync(f))
      .map((f) => ({ f, found: tracesIn(f, TRACES) }))
      .filter((x) => x.found.length > 0);
    expect(leftovers).toEqual([]);
    // The rejected-rows report is no longer offered.
    expect((await owner.get(`/t/${SLUG}/imports/${id}/rejected.csv`)).status).toBe(404);
  });
  it("says that an import not run yet keeps its uploaded file, which may hold them", async () => {
    const kept = await created("/contacts", {
      firstName: "Wendel",
      lastName: "Pending",
      email: "wendel@pending.example",
    });
    const csv = ["First Name,Last Name,Email Address", "Wendel,Pending,wendel@pending.example"].join("\r\n");
    const id = importIdOf(await upload(owner, SLUG, csv, { fileName: "later.csv" }));
    const [before] = await sql<{ storedFile: string }>(
      "SELECT stored_file AS storedFile FROM imports WHERE id = ?",
      id,
    );
    const stored = join(dir.path, before?.storedFile as string);
    expect(existsSync(stored)).toBe(true);
    const task = await erase(kept.id);
    expect(task.text).toContain(
      "1 import not finished yet keeps its uploaded file, which may hold them: discard it on the Imports page to remove it.",
    );
    // Its sample no longer shows them; the file stays for the import to run.
    const [after] = await sql<{ sample: string }>("SELECT sample FROM imports WHERE id = ?", id);
    expect(JSON.parse(after?.sample as string).rows).toEqual([]);
    expect(existsSync(stored)).toBe(true);
  });
});

describe("quotes of an erased person in other records", () => {
  it("are replaced as whole words in any case (lost reasons, custom values, notes), and other names are left alone", async () => {
    const ann = await created("/contacts", {
      firstName: "Ann",
      lastName: "Lee",
      email: "ann.lee@harbour.example",
      phone: "+44 20 7946 0958",
    });
    const joann = await created("/contacts", { firstName: "JoAnn", lastName: "Leeds" });
    const company = await created("/companies", { name: "Harbour Works" });
    const pipelines = await call("GET", `/t/${SLUG}/pipelines`);
    const sales = pipelines.json.data.find((p: { name: string }) => p.name === "Sales");
    const lost = sales.stages.find((s: { kind: string }) => s.kind === "lost").id as number;

    // Lost reasons: one quoting Ann (in capitals), one naming JoAnn Leeds.
    const quoting = await created("/deals", { title: "Harbour renewal", companyId: company.id });
    const other = await created("/deals", { title: "Dock cranes", companyId: company.id });
    for (const [deal, reason] of [
      [quoting.id, "ANN LEE left; ask ann.lee@harbour.example's successor"],
      [other.id, "Lost to JoAnn Leeds"],
    ] as const)
      expect(
        (await call("PATCH", `/t/${SLUG}/deals/${deal}`, { stageId: lost, lostReason: reason })).status,
      ).toBe(200);

    // Custom values on other records: a company's text field, a deal's multiselect.
    await created("/custom-fields", {
      entity: "company",
      key: "contact_person",
      label: "Contact person",
      type: "text",
    });
    await created("/custom-fields", {
      entity: "deal",
      key: "referrers",
      label: "Referrers",
      type: "multiselect",
      options: ["Ann Lee", "Bruno Keller"],
    });
    expect(
      (
        await call("PATCH", `/t/${SLUG}/companies/${company.id}`, {
          customFields: { contact_person: "Ann Lee (+44 20 7946 0958), then JoAnn Leeds" },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await call("PATCH", `/t/${SLUG}/deals/${other.id}`, {
          customFields: { referrers: ["Ann Lee", "Bruno Keller"] },
        })
      ).status,
    ).toBe(200);

    // Notes on JoAnn: one about her alone, one quoting Ann.
    const notes = [
      await created("/notes", {
        subjectType: "contact",
        subjectId: joann.id,
        body: "Lunch with JoAnn Leeds",
      }),
      await created("/notes", {
        subjectType: "contact",
        subjectId: joann.id,
        body: "Met ann lee and Annie Leeson",
      }),
    ];

    const task = await erase(ann.id);
    expect(task.text).toContain(
      "replaced with [erased]: 1 lost reason, 1 note, 3 activity entries, 2 custom values, 1 field option.",
    );

    const reasons = await sql<{ id: number; r: string }>(
      "SELECT id, lost_reason AS r FROM deals ORDER BY id",
    );
    expect(reasons).toEqual([
      { id: quoting.id, r: "[erased] left; ask [erased]'s successor" },
      { id: other.id, r: "Lost to JoAnn Leeds" },
    ]);
    expect(await sql("SELECT text_value AS v FROM custom_values ORDER BY field_id")).toEqual([
      { v: "[erased] ([erased]), then JoAnn Leeds" },
      { v: JSON.stringify(["[erased]", "Bruno Keller"]) },
    ]);
    // The option it was is renamed too: the value stays one of the field's options.
    expect(await sql("SELECT options FROM custom_fields WHERE key = 'referrers'")).toEqual([
      { options: JSON.stringify(["[erased]", "Bruno Keller"]) },
    ]);
    expect(
      await sql(
        "SELECT body FROM notes WHERE id IN (?, ?) ORDER BY id",
        notes[0]?.id ?? 0,
        notes[1]?.id ?? 0,
      ),
    ).toEqual([{ body: "Lunch with JoAnn Leeds" }, { body: "Met [erased] and Annie Leeson" }]);
    // The lost deal's log entry quoted the reason: scrubbed too; JoAnn's stays as it was.
    const logged = await sql<{ payload: string }>(
      "SELECT payload FROM interactions WHERE kind = 'deal.lost' ORDER BY subject_id",
    );
    expect(logged.map((l) => JSON.parse(l.payload).reason)).toEqual([
      "[erased] left; ask [erased]'s successor",
      "Lost to JoAnn Leeds",
    ]);
    // Search finds the values that stayed, not the erased ones.
    expect(
      (await call("GET", `/t/${SLUG}/contacts?q=leeds`)).json.data.map((c: { id: number }) => c.id),
    ).toEqual([joann.id]);
  });

  it("match letters beyond ASCII in any case, and only whole words", async () => {
    const asa = await created("/contacts", { firstName: "Åsa", lastName: "Öberg" });
    const other = await created("/contacts", { firstName: "Per", lastName: "Lind" });
    const note = await created("/notes", {
      subjectType: "contact",
      subjectId: other.id,
      body: "ÅSA ÖBERG called; Åsa Öbergsson did not",
    });
    const task = await erase(asa.id);
    expect(task.text).toContain("replaced with [erased]: 1 note");
    expect(await sql("SELECT body FROM notes WHERE id = ?", note.id)).toEqual([
      { body: "[erased] called; Åsa Öbergsson did not" },
    ]);
  });

  it("are found when the name has no ASCII letters at all (every row is read then)", async () => {
    const yolka = await created("/contacts", { firstName: "Ёлка", lastName: "Щукина" });
    const other = await created("/contacts", { firstName: "Иван", lastName: "Петров" });
    const note = await created("/notes", {
      subjectType: "contact",
      subjectId: other.id,
      body: "ЁЛКА ЩУКИНА звонила; Ёлка Щукинаева нет",
    });
    const task = await erase(yolka.id);
    expect(task.text).toContain("replaced with [erased]: 1 note");
    expect(await sql("SELECT body FROM notes WHERE id = ?", note.id)).toEqual([
      { body: "[erased] звонила; Ёлка Щукинаева нет" },
    ]);
  });
});
