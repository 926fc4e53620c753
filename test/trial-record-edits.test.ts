import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { launchBrowser } from "./support/browser.ts";
import { formEntries, parseForms } from "./support/html-forms.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, PASSWORD, signIn } from "./support/workspace.ts";

/**
 * A trial of issue 11's first item as users and attackers would try it: the task and note pages
 * (change, delete, go back), odd ids, `from` values, deleted records, unassigned tasks, due-time
 * edges in the viewer's zone, hostile text, double submits and the activity left behind.
 */
const T = "trialedits";
const OWNER = `owner@${T}.test`;
const MEMBER = `member@${T}.test`;
const VIEWER = `viewer@${T}.test`;
const dir = tempDir("crm-trial-record-edits-");
let server: TestServer;
let call: ReturnType<typeof api>;
let otherCall: ReturnType<typeof api>;
let contactId = 0;
let ownerId = 0;
let memberId = 0;

beforeAll(async () => {
  const data = new DataDir(dir.path);
  await data.tenant(T, OWNER);
  await data.tenant("elsewhere2");
  await data.user(T, MEMBER, "member");
  await data.user(T, VIEWER, "read-only");
  const idOf = (email: string) =>
    data.shards.use(
      data.get(T),
      (shard) => (shard.statement("SELECT id FROM users WHERE email = ?").get(email) as { id: number }).id,
    );
  ownerId = await idOf(OWNER);
  memberId = await idOf(MEMBER);
  const key = await data.apiKey(T, "owner");
  const otherKey = await data.apiKey("elsewhere2", "owner");
  data.close();
  server = await startServer({ dataDir: dir.path });
  call = api(server.url, key);
  otherCall = api(server.url, otherKey);
  contactId = (await call("POST", `/t/${T}/contacts`, { firstName: "Grace", lastName: "Hopper" })).json.id;
}, 60_000);

afterAll(async () => {
  await server?.stop();
  dir.remove();
});

async function newTask(fields: Record<string, unknown> = {}) {
  const made = await call("POST", `/t/${T}/tasks`, {
    title: "A task",
    dueAt: "2026-12-10T09:30:00Z",
    assigneeId: ownerId,
    subjectType: "contact",
    subjectId: contactId,
    ...fields,
  });
  expect(made.status).toBe(201);
  return made.json.id as number;
}

async function newContact(firstName: string) {
  const made = await call("POST", `/t/${T}/contacts`, { firstName, lastName: "Trial" });
  expect(made.status).toBe(201);
  return made.json.id as number;
}

async function newNote(subjectId: number, body: string) {
  const made = await call("POST", `/t/${T}/notes`, { subjectType: "contact", subjectId, body });
  expect(made.status).toBe(201);
  return made.json.id as number;
}

/** The edit form's fields as a browser without JavaScript would send them. */
function formValues(html: string, id: string): Record<string, string> {
  const form = parseForms(html).find((f) => f.id === id);
  if (!form) throw new Error(`no form ${id}`);
  return Object.fromEntries(formEntries(form).filter(([name]) => name !== "_csrf"));
}

describe("odd ids and ways in", () => {
  it("answers 404 (never 500) for ids that are not numbers, huge, negative, zero or padded", async () => {
    const owner = await signIn(server.url, T, OWNER, PASSWORD);
    await owner.get(`/t/${T}/tasks`);
    for (const raw of [
      "abc",
      "-1",
      "0",
      "01",
      "1e3",
      "99999999999999999999",
      "9007199254740993",
      "1.5",
      "%20",
    ]) {
      for (const kind of ["tasks", "notes"]) {
        expect([kind, raw, (await owner.get(`/t/${T}/${kind}/${raw}/edit`)).status]).toEqual([
          kind,
          raw,
          404,
        ]);
        expect([
          kind,
          raw,
          (await owner.post(`/t/${T}/${kind}/${raw}`, { title: "x", body: "x" })).status,
        ]).toEqual([kind, raw, 404]);
        expect([kind, raw, (await owner.post(`/t/${T}/${kind}/${raw}/delete`, {})).status]).toEqual([
          kind,
          raw,
          404,
        ]);
      }
    }
  });

  it("never sends you off the site: a `from` that is an URL or a path goes back to the task's record", async () => {
    const id = await newTask({ title: "Where do I go" });
    const owner = await signIn(server.url, T, OWNER, PASSWORD);
    for (const from of [
      "https://evil.test/",
      "//evil.test",
      "/t/elsewhere2/contacts",
      "tasks/../../x",
      "TASKS",
    ]) {
      const page = await owner.get(`/t/${T}/tasks/${id}/edit?from=${encodeURIComponent(from)}`);
      expect(page.status).toBe(200);
      expect(page.text).not.toContain("evil.test");
      expect(page.text).not.toContain('name="from"');
      const saved = await owner.post(`/t/${T}/tasks/${id}`, {
        from,
        title: "Where do I go",
        dueOn: "",
        dueTime: "",
        assigneeId: String(ownerId),
      });
      expect(saved.status).toBe(303);
      expect(saved.headers.get("location")).toBe(`/t/${T}/contacts/${contactId}`);
    }
  });

  it("refuses a form without its CSRF token, and a read-only user's edit and delete of notes", async () => {
    const taskId = await newTask({ title: "CSRF guarded" });
    const noteId = await newNote(contactId, "CSRF guarded note");
    const owner = await signIn(server.url, T, OWNER, PASSWORD);
    await owner.get(`/t/${T}/tasks/${taskId}/edit`);
    const noToken = (path: string, body: Record<string, string>) =>
      owner.postRaw(path, new URLSearchParams(body), { "content-type": "application/x-www-form-urlencoded" });
    expect((await noToken(`/t/${T}/tasks/${taskId}`, { title: "No token" })).status).toBe(403);
    expect((await noToken(`/t/${T}/tasks/${taskId}/delete`, {})).status).toBe(403);
    expect((await noToken(`/t/${T}/notes/${noteId}`, { body: "No token" })).status).toBe(403);
    expect((await noToken(`/t/${T}/notes/${noteId}/delete`, {})).status).toBe(403);
    const viewer = await signIn(server.url, T, VIEWER, PASSWORD);
    expect((await viewer.get(`/t/${T}/notes/${noteId}/edit`)).status).toBe(403);
    expect((await viewer.post(`/t/${T}/notes/${noteId}`, { body: "Hijacked" })).status).toBe(403);
    expect((await viewer.post(`/t/${T}/notes/${noteId}/delete`, {})).status).toBe(403);
    expect((await call("GET", `/t/${T}/tasks/${taskId}`)).json.title).toBe("CSRF guarded");
    expect((await call("GET", `/t/${T}/notes/${noteId}`)).json.body).toBe("CSRF guarded note");
  });

  it("does not let another workspace's session touch this workspace's ids", async () => {
    const taskId = await newTask({ title: "Mine only" });
    const noteId = await newNote(contactId, "Mine only note");
    // A user of the other workspace, signed in there, aiming at this one's paths.
    const data = new DataDir(dir.path);
    await data.user("elsewhere2", `intruder@elsewhere2.test`, "owner");
    data.close();
    const intruder = await signIn(server.url, "elsewhere2", "intruder@elsewhere2.test", PASSWORD);
    for (const path of [`/t/${T}/tasks/${taskId}/edit`, `/t/${T}/notes/${noteId}/edit`]) {
      const r = await intruder.get(path);
      expect(r.status === 200 ? r.text : "").not.toContain("Mine only");
    }
    await intruder.get(`/t/elsewhere2/tasks`);
    for (const path of [`/t/${T}/tasks/${taskId}/delete`, `/t/${T}/notes/${noteId}/delete`]) {
      expect([303, 200]).not.toContain((await intruder.post(path, {})).status);
    }
    expect((await call("GET", `/t/${T}/tasks/${taskId}`)).status).toBe(200);
    expect((await call("GET", `/t/${T}/notes/${noteId}`)).status).toBe(200);
    void otherCall;
  });
});

describe("the task's page", () => {
  it("escapes HTML in a task's title everywhere: the page title, the field and the record's name in 'Back to …'", async () => {
    const hostileName = `<img src=x onerror=alert(1)>`;
    const cid = (await call("POST", `/t/${T}/contacts`, { firstName: hostileName, lastName: "&amp;" })).json
      .id as number;
    const id = await newTask({ title: `</title><script>alert(2)</script>`, subjectId: cid });
    const owner = await signIn(server.url, T, OWNER, PASSWORD);
    const page = await owner.get(`/t/${T}/tasks/${id}/edit`);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain("<script>alert(2)");
    expect(page.text).not.toContain("<img src=x");
    expect(page.text).toContain("&lt;/title&gt;&lt;script&gt;");
    expect(page.text).toContain("Back to &lt;img src=x onerror=alert(1)&gt; &amp;amp;");
    const noteId = await newNote(cid, "<b>bold</b>");
    const notePage = await owner.get(`/t/${T}/notes/${noteId}/edit`);
    expect(notePage.text).not.toContain("<img src=x");
    expect(notePage.text).not.toContain("<b>bold</b>");
    expect(notePage.text).toContain("Note on &lt;img src=x onerror=alert(1)&gt; &amp;amp;");
  });

  it("takes a 300-character title and refuses 301 and control characters, writing nothing", async () => {
    const id = await newTask({ title: "Limits" });
    const owner = await signIn(server.url, T, OWNER, PASSWORD);
    await owner.get(`/t/${T}/tasks/${id}/edit`);
    const base = { dueOn: "", dueTime: "", assigneeId: String(ownerId) };
    const ok = await owner.post(`/t/${T}/tasks/${id}`, { ...base, title: "é".repeat(300) });
    expect(ok.status).toBe(303);
    expect((await call("GET", `/t/${T}/tasks/${id}`)).json.title).toBe("é".repeat(300));
    for (const title of ["x".repeat(301), "bad\u0000nul", "bell\u0007"]) {
      const refused = await owner.post(`/t/${T}/tasks/${id}`, { ...base, title });
      expect([title.length, refused.status]).toEqual([title.length, 422]);
    }
    expect((await call("GET", `/t/${T}/tasks/${id}`)).json.title).toBe("é".repeat(300));
  });

  it("refuses a time without a day and a day that is no date, keeping the old due time", async () => {
    const id = await newTask({ title: "Due edges" });
    const owner = await signIn(server.url, T, OWNER, PASSWORD);
    await owner.get(`/t/${T}/tasks/${id}/edit`);
    for (const fields of [
      { dueOn: "", dueTime: "10:00" },
      { dueOn: "2026-02-30", dueTime: "" },
      { dueOn: "2026-13-01", dueTime: "" },
      { dueOn: "tomorrow", dueTime: "" },
      { dueOn: "2026-12-12", dueTime: "9:30" },
      { dueOn: "2026-12-12", dueTime: "24:00" },
    ]) {
      const refused = await owner.post(`/t/${T}/tasks/${id}`, {
        ...fields,
        title: "Due edges",
        assigneeId: String(ownerId),
      });
      expect([fields, refused.status]).toEqual([fields, 422]);
    }
    expect((await call("GET", `/t/${T}/tasks/${id}`)).json.dueAt).toBe("2026-12-10T09:30:00.000Z");
    // A day with no time is due at 09:00 in the viewer's zone.
    const saved = await owner.post(`/t/${T}/tasks/${id}`, {
      title: "Due edges",
      dueOn: "2026-12-12",
      dueTime: "",
      assigneeId: String(ownerId),
    });
    expect(saved.status).toBe(303);
    expect((await call("GET", `/t/${T}/tasks/${id}`)).json.dueAt).toBe("2026-12-12T09:00:00.000Z");
  });

  it("opening and saving unchanged a task due in the repeated hour of a DST fall-back day (viewer's tz cookie) keeps its instant", async () => {
    const owner = await signIn(server.url, T, OWNER, PASSWORD);
    owner.setCookie("tz", "America/New_York");
    // 2026-11-01 01:30 happens twice in New York; 2026-03-08 02:30 never happens.
    for (const dueAt of [
      "2026-11-01T05:30:00.000Z",
      "2026-11-01T06:30:00.000Z",
      "2026-03-08T07:30:00.000Z",
    ]) {
      const id = await newTask({ title: `DST ${dueAt}`, dueAt });
      const page = await owner.get(`/t/${T}/tasks/${id}/edit`);
      const values = formValues(page.text, "edit-task");
      const saved = await owner.post(`/t/${T}/tasks/${id}`, values);
      expect(saved.status).toBe(303);
      expect([dueAt, (await call("GET", `/t/${T}/tasks/${id}`)).json.dueAt]).toEqual([dueAt, dueAt]);
    }
    // A time that does not exist that day is taken (not a 500) and shown back as a real time.
    const id = await newTask({ title: "Spring gap" });
    await owner.get(`/t/${T}/tasks/${id}/edit`);
    const gap = await owner.post(`/t/${T}/tasks/${id}`, {
      title: "Spring gap",
      dueOn: "2026-03-08",
      dueTime: "02:30",
      assigneeId: String(ownerId),
    });
    expect([303, 422]).toContain(gap.status);
  });

  it("saving an unassigned task's page unchanged leaves it unassigned (Nobody is a choice, and empty is nobody)", async () => {
    const id = await newTask({ title: "Nobody's yet", assigneeId: null });
    expect((await call("GET", `/t/${T}/tasks/${id}`)).json.assigneeId).toBeNull();
    const member = await signIn(server.url, T, MEMBER, PASSWORD);
    const page = await member.get(`/t/${T}/tasks/${id}/edit`);
    expect(page.status).toBe(200);
    const saved = await member.post(`/t/${T}/tasks/${id}`, formValues(page.text, "edit-task"));
    expect(saved.status).toBe(303);
    expect((await call("GET", `/t/${T}/tasks/${id}`)).json.assigneeId).toBeNull();
  });

  it("saving another user's task unchanged keeps its assignee", async () => {
    const id = await newTask({ title: "Member's task", assigneeId: memberId });
    const owner = await signIn(server.url, T, OWNER, PASSWORD);
    const page = await owner.get(`/t/${T}/tasks/${id}/edit`);
    const saved = await owner.post(`/t/${T}/tasks/${id}`, formValues(page.text, "edit-task"));
    expect(saved.status).toBe(303);
    expect((await call("GET", `/t/${T}/tasks/${id}`)).json.assigneeId).toBe(memberId);
  });

  it("refuses an assignee who is not a user of this workspace (another workspace's, huge, negative)", async () => {
    const id = await newTask({ title: "Assignee edges" });
    const owner = await signIn(server.url, T, OWNER, PASSWORD);
    await owner.get(`/t/${T}/tasks/${id}/edit`);
    for (const assigneeId of ["999999", "-3", "abc", "1e2", "99999999999999999999"]) {
      const r = await owner.post(`/t/${T}/tasks/${id}`, {
        title: "Assignee edges",
        dueOn: "",
        dueTime: "",
        assigneeId,
      });
      expect([assigneeId, r.status]).toEqual([assigneeId, 422]);
    }
    expect((await call("GET", `/t/${T}/tasks/${id}`)).json.assigneeId).toBe(ownerId);
  });

  it("a task with no record goes back to My tasks and saves there", async () => {
    const id = await newTask({ title: "Free-floating", subjectType: null, subjectId: null });
    const owner = await signIn(server.url, T, OWNER, PASSWORD);
    const page = await owner.get(`/t/${T}/tasks/${id}/edit`);
    expect(page.status).toBe(200);
    expect(page.text).toContain("Back to My tasks");
    const saved = await owner.post(`/t/${T}/tasks/${id}`, formValues(page.text, "edit-task"));
    expect(saved.headers.get("location")).toBe(`/t/${T}/tasks`);
    const deleted = await owner.post(`/t/${T}/tasks/${id}/delete`, {});
    expect(deleted.headers.get("location")).toBe(`/t/${T}/tasks`);
  });

  it("a task whose record was deleted still opens, and Save, Delete and 'Back to …' do not lead to a missing page", async () => {
    const cid = await newContact("Doomed");
    const id = await newTask({ title: "Orphaned task", subjectId: cid });
    expect((await call("DELETE", `/t/${T}/contacts/${cid}`)).status).toBeLessThan(300);
    const owner = await signIn(server.url, T, OWNER, PASSWORD);
    const page = await owner.get(`/t/${T}/tasks/${id}/edit`);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain(`href="/t/${T}/contacts/${cid}"`);
    const saved = await owner.post(`/t/${T}/tasks/${id}`, formValues(page.text, "edit-task"));
    expect(saved.status).toBe(303);
    const next = await owner.get(saved.headers.get("location") ?? "");
    expect(next.status).toBe(200);
  });

  it("a double submit of Delete answers 404 the second time, and Back after saving shows the saved title", async () => {
    const id = await newTask({ title: "Twice" });
    const owner = await signIn(server.url, T, OWNER, PASSWORD);
    const page = await owner.get(`/t/${T}/tasks/${id}/edit`);
    const values = formValues(page.text, "edit-task");
    const [a, b] = await Promise.all([
      owner.post(`/t/${T}/tasks/${id}`, { ...values, title: "Twice, saved" }),
      owner.post(`/t/${T}/tasks/${id}`, { ...values, title: "Twice, saved" }),
    ]);
    expect([a.status, b.status]).toEqual([303, 303]);
    const back = await owner.get(`/t/${T}/tasks/${id}/edit`);
    expect(back.headers.get("cache-control") ?? "").not.toContain("immutable");
    expect(formValues(back.text, "edit-task").title).toBe("Twice, saved");
    const first = await owner.post(`/t/${T}/tasks/${id}/delete`, {});
    const second = await owner.post(`/t/${T}/tasks/${id}/delete`, {});
    expect(first.status).toBe(303);
    expect(second.status).toBe(404);
  });
});

describe("My tasks of a teammate", () => {
  it("a task opened from a teammate's list (My tasks?assigneeId=…) goes back to that list", async () => {
    const id = await newTask({ title: "Teammate's task", assigneeId: memberId });
    const owner = await signIn(server.url, T, OWNER, PASSWORD);
    const list = await owner.get(`/t/${T}/tasks?assigneeId=${memberId}`);
    const href = new RegExp(`href="(/t/${T}/tasks/${id}/edit[^"]*)"`).exec(list.text)?.[1] ?? "";
    expect(href).not.toBe("");
    const page = await owner.get(href.replaceAll("&amp;", "&"));
    const back = /<a href="([^"]*)">Back to /.exec(page.text)?.[1];
    expect(back).toBe(`/t/${T}/tasks?assigneeId=${memberId}`);
    const saved = await owner.post(`/t/${T}/tasks/${id}`, formValues(page.text, "edit-task"));
    expect(saved.headers.get("location")).toBe(`/t/${T}/tasks?assigneeId=${memberId}`);
  });
});

describe("the note's page", () => {
  it("takes 10,000 characters and refuses 10,001 and control characters, writing nothing", async () => {
    const id = await newNote(contactId, "Limits note");
    const owner = await signIn(server.url, T, OWNER, PASSWORD);
    await owner.get(`/t/${T}/notes/${id}/edit`);
    expect((await owner.post(`/t/${T}/notes/${id}`, { body: "n".repeat(10_000) })).status).toBe(303);
    for (const body of ["n".repeat(10_001), "nul\u0000byte", "esc\u001b[31m"]) {
      expect([body.length, (await owner.post(`/t/${T}/notes/${id}`, { body })).status]).toEqual([
        body.length,
        422,
      ]);
    }
    expect((await call("GET", `/t/${T}/notes/${id}`)).json.body).toBe("n".repeat(10_000));
  });

  it("a note whose record was deleted does not open a page that leads to a missing record", async () => {
    const cid = await newContact("Vanishing");
    const id = await newNote(cid, "Left behind");
    expect((await call("DELETE", `/t/${T}/contacts/${cid}`)).status).toBeLessThan(300);
    const owner = await signIn(server.url, T, OWNER, PASSWORD);
    const page = await owner.get(`/t/${T}/notes/${id}/edit`);
    if (page.status === 200) {
      expect(page.text).not.toContain(`href="/t/${T}/contacts/${cid}"`);
    } else expect(page.status).toBe(404);
  });

  it("the timeline shows an edited note's new text once, and a deleted note as deleted", async () => {
    const cid = await newContact("Timeline");
    const id = await newNote(cid, "First words");
    const owner = await signIn(server.url, T, OWNER, PASSWORD);
    await owner.get(`/t/${T}/notes/${id}/edit`);
    expect((await owner.post(`/t/${T}/notes/${id}`, { body: "Second words" })).status).toBe(303);
    const after = (await owner.get(`/t/${T}/contacts/${cid}`)).text;
    expect(after).toContain("Second words");
    expect(after).not.toContain("First words");
    expect((await owner.post(`/t/${T}/notes/${id}/delete`, {})).status).toBe(303);
    const gone = (await owner.get(`/t/${T}/contacts/${cid}`)).text;
    expect(gone).not.toContain("Second words");
    expect(gone).toContain("(deleted)");
    expect(gone).not.toContain(`/notes/${id}/edit`);
    expect((await owner.get(`/t/${T}/notes/${id}/edit`)).status).toBe(404);
  });
});

describe("in a real browser", () => {
  let browser: Browser | undefined;
  let page: Page;

  beforeAll(async () => {
    browser = await launchBrowser();
    const context = await browser.newContext({ timezoneId: "UTC" });
    context.setDefaultTimeout(15_000);
    page = await context.newPage();
    page.on("dialog", (dialog) => dialog.accept());
    await page.goto(`${server.url}/t/${T}/login`);
    await page.fill("#login-email", OWNER);
    await page.fill("#login-password", PASSWORD);
    await Promise.all([page.waitForURL(`**/t/${T}/contacts`), page.click("main button[type=submit]")]);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  const posted = (path: string, action: () => Promise<unknown>) =>
    Promise.all([
      page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname === path),
      action(),
    ]).then(([r]) => r);
  const focusedId = () => page.evaluate(() => document.activeElement?.id ?? "");

  it("two quick adds in a row each start the form empty with focus in Name; a refused one keeps what was typed", async () => {
    await page.goto(`${server.url}/t/${T}/companies`);
    await page.waitForFunction(() => "htmx" in window);
    // Quick add sits behind the list's "New company" disclosure.
    await page.click("details.quick-add-toggle > summary");
    for (const name of ["Quick One Ltd", "Quick Two Ltd"]) {
      await page.fill("#new-company-name", name);
      await page.fill("#new-company-city", "Leeds");
      const r = await posted(`/t/${T}/companies`, () => page.click("#new-company button[type=submit]"));
      expect(r.status()).toBe(201);
      await page.locator("#company-rows tr", { hasText: name }).waitFor();
      await page.waitForFunction(() => document.activeElement?.id === "new-company-name");
      expect(await page.inputValue("#new-company-name")).toBe("");
      expect(await page.inputValue("#new-company-city")).toBe("");
    }
    await page.fill("#new-company-name", "Refused Ltd");
    await page.fill("#new-company-domain", "not a domain!!");
    const refused = await posted(`/t/${T}/companies`, () => page.click("#new-company button[type=submit]"));
    expect(refused.status()).toBe(422);
    await page.waitForTimeout(300);
    expect(await page.inputValue("#new-company-name")).toBe("Refused Ltd");
    expect(await page.inputValue("#new-company-domain")).toBe("not a domain!!");
    // And the next good one after a refusal still starts the form empty.
    await page.fill("#new-company-domain", "");
    const ok = await posted(`/t/${T}/companies`, () => page.click("#new-company button[type=submit]"));
    expect(ok.status()).toBe(201);
    await page.waitForFunction(() => document.activeElement?.id === "new-company-name");
    expect(await page.inputValue("#new-company-name")).toBe("");
  }, 45_000);

  it("a refused note (only spaces) keeps what was typed, and a good one after it resets with focus in the note", async () => {
    const cid = await newContact("Browser");
    await page.goto(`${server.url}/t/${T}/contacts/${cid}`);
    await page.waitForFunction(() => "htmx" in window);
    await page.fill("#note-body", "   ");
    const refused = await posted(`/t/${T}/notes`, () => page.click("#new-note button[type=submit]"));
    expect(refused.status()).toBeGreaterThanOrEqual(400);
    await page.waitForTimeout(300);
    expect(await page.inputValue("#note-body")).toBe("   ");
    await page.fill("#note-body", "A real note");
    const ok = await posted(`/t/${T}/notes`, () => page.click("#new-note button[type=submit]"));
    expect(ok.status()).toBe(201);
    await page.locator("#timeline-entries li", { hasText: "A real note" }).waitFor();
    await page.waitForFunction(
      () => (document.querySelector("#note-body") as HTMLTextAreaElement).value === "",
    );
    expect(await focusedId()).toBe("note-body");
    // The new note's Edit link opens its page; Save goes back to the record showing the change.
    await Promise.all([
      page.waitForURL(/\/notes\/\d+\/edit$/),
      page.click("#timeline-entries li a:text('Edit')"),
    ]);
    await page.fill("#edit-note-body", "A changed note");
    await Promise.all([
      page.waitForURL(`**/t/${T}/contacts/${cid}`),
      page.click("#edit-note button[type=submit]"),
    ]);
    await page.locator("#timeline-entries li", { hasText: "A changed note" }).waitFor();
  }, 45_000);
});

describe("what edits and deletes leave behind", () => {
  it("a member who rewrites someone else's note or deletes their task leaves a trace: note.updated and task.deleted, credited to the member, on the timeline and in the audit log", async () => {
    const cid = await newContact("Audit");
    const noteId = await newNote(cid, "Owner wrote this");
    const taskId = await newTask({ title: "Owner's task to delete", subjectId: cid });
    const member = await signIn(server.url, T, MEMBER, PASSWORD);
    await member.get(`/t/${T}/notes/${noteId}/edit`);
    expect((await member.post(`/t/${T}/notes/${noteId}`, { body: "Member rewrote this" })).status).toBe(303);
    expect((await member.post(`/t/${T}/tasks/${taskId}/delete`, {})).status).toBe(303);
    const owner = await signIn(server.url, T, OWNER, PASSWORD);
    const audit = (await owner.get(`/t/${T}/settings/audit?all=1`)).text;
    const entries = audit.split('<li class="entry').slice(1);
    // The member's change and deletion are entries of their own, credited to the member.
    const byMember = entries.filter((e) => /· member\b/.test(e));
    expect(byMember.some((e) => /note/i.test(e) && /Member rewrote this|changed|edited/i.test(e))).toBe(true);
    expect(
      byMember.some((e) => /Deleted the task<\/strong> Owner(&#x27;|&#39;|')s task to delete/.test(e)),
    ).toBe(true);
  });
});
