import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { decodeEntities } from "./support/html-forms.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, PASSWORD, signIn } from "./support/workspace.ts";

/**
 * A note changed or deleted from its record's page, not only through the API (issue 11's first
 * item): a live note on the timeline links to its page, whose forms work without JavaScript and
 * go back to the record; refused text is shown inline and nothing is written; a read-only user
 * and another workspace get nothing.
 */
const T = "noteedit";
const OWNER = `owner@${T}.test`;
const VIEWER = `viewer@${T}.test`;
const dir = tempDir("crm-note-edit-");
let server: TestServer;
let call: ReturnType<typeof api>;
let otherCall: ReturnType<typeof api>;
let companyId = 0;

beforeAll(async () => {
  const data = new DataDir(dir.path);
  await data.tenant(T, OWNER);
  await data.tenant("elsewhere");
  await data.user(T, VIEWER, "read-only");
  const key = await data.apiKey(T, "owner");
  const otherKey = await data.apiKey("elsewhere", "owner");
  data.close();
  server = await startServer({ dataDir: dir.path });
  call = api(server.url, key);
  otherCall = api(server.url, otherKey);
  companyId = (await call("POST", `/t/${T}/companies`, { name: "Analytical Engines Ltd" })).json.id;
}, 60_000);

afterAll(async () => {
  await server?.stop();
  dir.remove();
});

async function newNote(body: string) {
  const made = await call("POST", `/t/${T}/notes`, { subjectType: "company", subjectId: companyId, body });
  expect(made.status).toBe(201);
  return made.json.id as number;
}

describe("a note's page", () => {
  it("opens from the note's Edit link on its record's timeline, with its text, and saves a change back to the record", async () => {
    const id = await newNote("Met at the Royal Society");
    const owner = await signIn(server.url, T, OWNER, PASSWORD);
    const record = await owner.get(`/t/${T}/companies/${companyId}`);
    // Its accessible name says which note: "Edit the note of <when>".
    expect(record.text).toMatch(
      new RegExp(
        `href="/t/${T}/notes/${id}/edit">Edit<span class="visually-hidden"> the note of [^<]+</span></a>`,
      ),
    );
    const page = await owner.get(`/t/${T}/notes/${id}/edit`);
    expect(page.status).toBe(200);
    expect(page.text).toContain("Note on Analytical Engines Ltd");
    expect(page.text).toContain(">Met at the Royal Society</textarea>");

    const saved = await owner.post(`/t/${T}/notes/${id}`, { body: "Met at the Royal Society, 1833" });
    expect(saved.status).toBe(303);
    expect(saved.headers.get("location")).toBe(`/t/${T}/companies/${companyId}`);
    expect((await call("GET", `/t/${T}/notes/${id}`)).json.body).toBe("Met at the Royal Society, 1833");
    expect((await owner.get(`/t/${T}/companies/${companyId}`)).text).toContain(
      "Met at the Royal Society, 1833",
    );
  });

  it("refuses empty text inline, keeps what was typed (escaped), and writes nothing", async () => {
    const id = await newNote("Keep me");
    const owner = await signIn(server.url, T, OWNER, PASSWORD);
    await owner.get(`/t/${T}/notes/${id}/edit`);
    const empty = await owner.post(`/t/${T}/notes/${id}`, { body: "   " });
    expect(empty.status).toBe(422);
    expect(empty.text).toContain('aria-invalid="true"');
    const tooLong = `<script>x</script>${"y".repeat(10_001)}`;
    const refused = await owner.post(`/t/${T}/notes/${id}`, { body: tooLong });
    expect(refused.status).toBe(422);
    expect(refused.text).not.toContain("<script>x</script>");
    const typed = /<textarea id="edit-note-body"[^>]*>([^<]*)<\/textarea>/.exec(refused.text)?.[1] ?? "";
    expect(decodeEntities(typed)).toBe(tooLong);
    expect((await call("GET", `/t/${T}/notes/${id}`)).json.body).toBe("Keep me");
  });

  it("deletes the note and goes back to the record, whose timeline then says the note was deleted", async () => {
    const id = await newNote("Delete me soon");
    const owner = await signIn(server.url, T, OWNER, PASSWORD);
    await owner.get(`/t/${T}/notes/${id}/edit`);
    const deleted = await owner.post(`/t/${T}/notes/${id}/delete`, {});
    expect(deleted.status).toBe(303);
    expect(deleted.headers.get("location")).toBe(`/t/${T}/companies/${companyId}`);
    expect((await call("GET", `/t/${T}/notes/${id}`)).status).toBe(404);
    const record = await owner.get(`/t/${T}/companies/${companyId}`);
    expect(record.text).not.toContain("Delete me soon");
    expect(record.text).not.toContain(`/notes/${id}/edit`);
  });

  it("is not for a read-only user (403, no link, nothing written), and another workspace's note is 404", async () => {
    const id = await newNote("Only members change me");
    const viewer = await signIn(server.url, T, VIEWER, PASSWORD);
    const record = await viewer.get(`/t/${T}/companies/${companyId}`);
    expect(record.text).toContain("Only members change me");
    expect(record.text).not.toContain(`/notes/${id}/edit`);
    expect((await viewer.get(`/t/${T}/notes/${id}/edit`)).status).toBe(403);
    expect((await viewer.post(`/t/${T}/notes/${id}`, { body: "Hijacked" })).status).toBe(403);
    expect((await viewer.post(`/t/${T}/notes/${id}/delete`, {})).status).toBe(403);

    const otherCompany = (await otherCall("POST", "/t/elsewhere/companies", { name: "Other" })).json.id;
    const elsewhere = (
      await otherCall("POST", "/t/elsewhere/notes", {
        subjectType: "company",
        subjectId: otherCompany,
        body: "Not yours",
      })
    ).json.id as number;
    const owner = await signIn(server.url, T, OWNER, PASSWORD);
    expect((await owner.get(`/t/${T}/notes/${elsewhere}/edit`)).status).toBe(404);
    expect((await owner.post(`/t/${T}/notes/${elsewhere}`, { body: "Mine now" })).status).toBe(404);
    expect((await otherCall("GET", `/t/elsewhere/notes/${elsewhere}`)).json.body).toBe("Not yours");
    expect((await call("GET", `/t/${T}/notes/${id}`)).json.body).toBe("Only members change me");
  });
});
