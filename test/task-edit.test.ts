import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { decodeEntities, parseForms } from "./support/html-forms.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, PASSWORD, signIn } from "./support/workspace.ts";

/**
 * A task changed or deleted from the pages, not only through the API (issue 11's first item):
 * its title on a record page and on My tasks opens the task's page, whose forms work without
 * JavaScript and go back where the task was opened; refused input is shown inline and nothing is
 * written; a read-only user and another workspace get nothing.
 */
const T = "taskedit";
const OWNER = `owner@${T}.test`;
const VIEWER = `viewer@${T}.test`;
const dir = tempDir("crm-task-edit-");
let server: TestServer;
let call: ReturnType<typeof api>;
let otherCall: ReturnType<typeof api>;
let contactId = 0;
let ownerId = 0;

beforeAll(async () => {
  const data = new DataDir(dir.path);
  await data.tenant(T, OWNER);
  await data.tenant("elsewhere");
  await data.user(T, VIEWER, "read-only");
  ownerId = await data.shards.use(
    data.get(T),
    (shard) => (shard.statement("SELECT id FROM users WHERE email = ?").get(OWNER) as { id: number }).id,
  );
  const key = await data.apiKey(T, "owner");
  const otherKey = await data.apiKey("elsewhere", "owner");
  data.close();
  server = await startServer({ dataDir: dir.path });
  call = api(server.url, key);
  otherCall = api(server.url, otherKey);
  contactId = (await call("POST", `/t/${T}/contacts`, { firstName: "Ada", lastName: "Lovelace" })).json.id;
}, 60_000);

afterAll(async () => {
  await server?.stop();
  dir.remove();
});

async function newTask(title: string, dueAt: string | null = "2026-12-10T09:30:00Z") {
  const made = await call("POST", `/t/${T}/tasks`, {
    title,
    dueAt,
    assigneeId: ownerId,
    subjectType: "contact",
    subjectId: contactId,
  });
  expect(made.status).toBe(201);
  return made.json.id as number;
}

describe("a task's page", () => {
  it("opens from the task's title on its record's page and on My tasks, with its due time in the viewer's zone", async () => {
    const id = await newTask("Send the analytical engine notes");
    const owner = await signIn(server.url, T, OWNER, PASSWORD);
    const record = await owner.get(`/t/${T}/contacts/${contactId}`);
    expect(record.text).toContain(`<a class="title" href="/t/${T}/tasks/${id}/edit">`);
    const mine = await owner.get(`/t/${T}/tasks`);
    expect(mine.text).toContain(`<a class="title" href="/t/${T}/tasks/${id}/edit?from=tasks">`);

    // Due 09:30 UTC on 10 December: 22:30 in Auckland (UTC+13 in summer), as app.js's tz cookie says.
    owner.setCookie("tz", encodeURIComponent("Pacific/Auckland"));
    const page = await owner.get(`/t/${T}/tasks/${id}/edit`);
    expect(page.status).toBe(200);
    const form = parseForms(page.text).find((f) => f.id === "edit-task");
    const value = (name: string) => form?.controls.find((c) => c.name === name)?.value;
    expect({ title: value("title"), dueOn: value("dueOn"), dueTime: value("dueTime") }).toEqual({
      title: "Send the analytical engine notes",
      dueOn: "2026-12-10",
      dueTime: "22:30",
    });
  });

  it("saves a change (title, due day and time, assignee) and goes back to the record, or to My tasks when opened there", async () => {
    const id = await newTask("Draft the letter");
    const owner = await signIn(server.url, T, OWNER, PASSWORD);
    await owner.get(`/t/${T}/tasks/${id}/edit`);
    const saved = await owner.post(`/t/${T}/tasks/${id}`, {
      title: "Draft the letter to Babbage",
      dueOn: "2026-12-11",
      dueTime: "14:15",
      assigneeId: "",
    });
    expect(saved.status).toBe(303);
    expect(saved.headers.get("location")).toBe(`/t/${T}/contacts/${contactId}`);
    const stored = (await call("GET", `/t/${T}/tasks/${id}`)).json;
    expect(stored.title).toBe("Draft the letter to Babbage");
    expect(stored.subjectId).toBe(contactId);
    // The tz cookie is UTC for this client (none sent): 14:15 there.
    expect(stored.dueAt).toBe("2026-12-11T14:15:00.000Z");

    await owner.get(`/t/${T}/tasks/${id}/edit?from=tasks`);
    const fromTasks = await owner.post(`/t/${T}/tasks/${id}`, {
      from: "tasks",
      title: "Draft the letter to Babbage",
      dueOn: "",
      dueTime: "",
      assigneeId: "",
    });
    expect(fromTasks.headers.get("location")).toBe(`/t/${T}/tasks`);
    expect((await call("GET", `/t/${T}/tasks/${id}`)).json.dueAt).toBeNull();
  });

  it("refuses an empty title, a time like 25:99, an impossible day or a year before 1900 inline, keeps what was typed, and writes nothing", async () => {
    const id = await newTask("Keep me as I am");
    const owner = await signIn(server.url, T, OWNER, PASSWORD);
    await owner.get(`/t/${T}/tasks/${id}/edit`);
    for (const [fields, message] of [
      [{ title: "", dueOn: "2026-12-12", dueTime: "10:00" }, "is required"],
      [{ title: "Changed <b>title</b>", dueOn: "2026-12-12", dueTime: "25:99" }, "must be a time like 09:30"],
      // A day that does not exist, and the year 0026 a date field gives for "26", are refused.
      [{ title: "Changed <b>title</b>", dueOn: "2026-02-30", dueTime: "10:00" }, "must be a real date"],
      [{ title: "Changed <b>title</b>", dueOn: "0026-12-12", dueTime: "10:00" }, "must be in 1900 or later"],
    ] as const) {
      const refused = await owner.post(`/t/${T}/tasks/${id}`, { ...fields, assigneeId: "" });
      expect(refused.status).toBe(422);
      expect(refused.text).toContain(message);
      const form = parseForms(refused.text).find((f) => f.id === "edit-task");
      expect(decodeEntities(form?.controls.find((c) => c.name === "title")?.value ?? "")).toBe(fields.title);
      expect(refused.text).not.toContain("<b>title</b>");
    }
    const stored = (await call("GET", `/t/${T}/tasks/${id}`)).json;
    expect({ title: stored.title, dueAt: stored.dueAt }).toEqual({
      title: "Keep me as I am",
      dueAt: "2026-12-10T09:30:00.000Z",
    });
  });

  it("deletes the task and goes back to its record; the task is gone from the page and the API", async () => {
    const id = await newTask("Delete me");
    const owner = await signIn(server.url, T, OWNER, PASSWORD);
    await owner.get(`/t/${T}/tasks/${id}/edit`);
    const deleted = await owner.post(`/t/${T}/tasks/${id}/delete`, {});
    expect(deleted.status).toBe(303);
    expect(deleted.headers.get("location")).toBe(`/t/${T}/contacts/${contactId}`);
    expect((await call("GET", `/t/${T}/tasks/${id}`)).status).toBe(404);
    const record = (await owner.get(`/t/${T}/contacts/${contactId}`)).text;
    expect(record).not.toContain(`id="task-${id}"`);
    // The timeline keeps that it was deleted, and by whom.
    expect(record).toContain("<strong>Deleted the task</strong> Delete me");
  });

  it("is not for a read-only user (403, no link, nothing written), another workspace's task is 404, and a forged form is refused", async () => {
    const id = await newTask("Only members change me");
    const viewer = await signIn(server.url, T, VIEWER, PASSWORD);
    const record = await viewer.get(`/t/${T}/contacts/${contactId}`);
    expect(record.text).toContain("Only members change me");
    expect(record.text).not.toContain(`/tasks/${id}/edit`);
    expect((await viewer.get(`/t/${T}/tasks/${id}/edit`)).status).toBe(403);
    expect((await viewer.post(`/t/${T}/tasks/${id}`, { title: "Hijacked" })).status).toBe(403);
    expect((await viewer.post(`/t/${T}/tasks/${id}/delete`, {})).status).toBe(403);

    const elsewhere = (await otherCall("POST", "/t/elsewhere/tasks", { title: "Not yours" })).json
      .id as number;
    const owner = await signIn(server.url, T, OWNER, PASSWORD);
    expect((await owner.get(`/t/${T}/tasks/${elsewhere}/edit`)).status).toBe(404);
    expect((await owner.post(`/t/${T}/tasks/${elsewhere}/delete`, {})).status).toBe(404);
    expect((await owner.post(`/t/${T}/tasks/${id}`, { _csrf: "forged", title: "Forged" })).status).toBe(403);
    expect((await otherCall("GET", `/t/elsewhere/tasks/${elsewhere}`)).status).toBe(200);
    expect((await call("GET", `/t/${T}/tasks/${id}`)).json.title).toBe("Only members change me");
  });
});
