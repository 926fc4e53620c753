import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { waitForTask } from "./support/background-task.ts";
import { BrowserClient } from "./support/browser-client.ts";
import { type FormControl, type FormFill, type HtmlForm, isSubmit } from "./support/html-forms.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { PASSWORD } from "./support/workspace.ts";

/**
 * Every kind of form the pages contain, submitted the way a browser without JavaScript does:
 * the page is read, the form parsed, its visible fields filled, and exactly its own entries
 * posted (hidden `_csrf` included, nothing added by the test). Each form is first sent without
 * its `_csrf` and must be refused with nothing written anywhere.
 */

let server: TestServer;
const dir = tempDir();
const SLUG = "forms-co";
const T = `/t/${SLUG}`;
const OWNER = "olive@forms.test";
let owner: BrowserClient;

interface Page {
  path: string;
  status: number;
  text: string;
  forms: HtmlForm[];
}

/** Every page read, and every kind of POST form met on them and submitted. */
const pagesChecked: string[] = [];
const formsSeen = new Map<string, string>();
const formsSubmitted = new Set<string>();

/** A form's action with its ids (numbers, tokens) and the workspace replaced: what kind of form it is. */
function actionKind(action: string): string {
  return action.replace(T, "/t/:tenant").replace(/\/(\d+|[A-Za-z0-9_-]{20,})(?=\/|$)/g, "/:id");
}

/**
 * The kind of a form: its action, the hidden entries and named buttons it carries (what a
 * person does not type), and whether it has fields to fill. Custom-field inputs do not count:
 * they come and go with the workspace's settings.
 */
function formKind(form: HtmlForm): string {
  const fixed = new Set<string>();
  let typed = false;
  for (const c of form.controls) {
    if (!c.name || c.name === "_cf" || c.name.startsWith("cf.")) continue;
    if (c.type === "hidden" || c.tag === "button") fixed.add(c.name);
    else if (c.type !== "submit") typed = true;
  }
  return `${form.method.toUpperCase()} ${actionKind(form.action)} {${[...fixed].sort().join(",")}}${typed ? " + typed" : ""}`;
}

/** Reads every table of every SQLite file under the data dir: a refused form must change none. */
function stored(): Record<string, number | bigint> {
  const tables: Record<string, number | bigint> = {};
  for (const file of new Bun.Glob("**/*.sqlite").scanSync(dir.path)) {
    const db = new Database(`${dir.path}/${file}`, { readonly: true });
    try {
      const names = db
        .query(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name",
        )
        .all() as { name: string }[];
      for (const { name } of names) {
        const rows = db.query(`SELECT * FROM "${name}"`).all() as Record<string, unknown>[];
        // A session's last_seen_at is bookkeeping of reads, not a write a form made.
        if (name === "sessions") for (const row of rows) delete row.last_seen_at;
        tables[`${file}:${name}`] = Bun.hash(JSON.stringify(rows));
      }
    } finally {
      db.close();
    }
  }
  return tables;
}

/** Reads a page as a browser would, and checks every POST form on it carries a hidden `_csrf`. */
async function open(client: BrowserClient, path: string, status = 200): Promise<Page> {
  const response = await client.get(path);
  expect({ path, status: response.status }).toEqual({ path, status });
  return inspect(client, path, response);
}

/** A page a form submission answered with (a confirmation, a secret shown once), checked like any other. */
function inspect(client: BrowserClient, path: string, response: { status: number; text: string }): Page {
  const forms = client.forms(response.text);
  for (const form of forms.filter((f) => f.method === "post")) {
    const tokens = form.controls.filter((c) => c.name === "_csrf");
    expect({ form: form.action, tokens: tokens.map((c) => c.type) }).toEqual({
      form: form.action,
      tokens: ["hidden"],
    });
    expect(tokens[0]?.value).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    // A form with no button yet (a record's task form before it has tasks) is nothing a person
    // can send: it is covered where its buttons are.
    if (!form.controls.some(isSubmit)) continue;
    if (!formsSeen.has(formKind(form))) formsSeen.set(formKind(form), path);
  }
  pagesChecked.push(path);
  return { path, status: response.status, text: response.text, forms };
}

/** The one POST form of `page` with this action (and matching `where`). */
function pick(page: Page, action: string | RegExp, where: (f: HtmlForm) => boolean = () => true): HtmlForm {
  const found = page.forms.filter(
    (f) =>
      f.method === "post" &&
      (typeof action === "string" ? f.action === action : action.test(f.action)) &&
      where(f),
  );
  if (found.length !== 1)
    throw new Error(`${page.path} has ${found.length} matching forms posting to ${action}`);
  return found[0] as HtmlForm;
}

/** A form whose field `name` shows `value` (to tell apart a list's per-row forms). */
const showing = (name: string, value: string) => (f: HtmlForm) =>
  f.controls.some((c) => c.name === name && c.value === value);

/** A form with a button labelled `label` (its text or aria-label). */
const pressing = (label: string) => (f: HtmlForm) =>
  f.controls.some((c) => c.tag === "button" && (c.label === label || c.attributes["aria-label"] === label));

/** The value of the option labelled `label` in the select `name` of `form`. */
function optionValue(form: HtmlForm, name: string, label: string): string {
  const option = form.controls.find((c) => c.name === name)?.options.find((o) => o.label.trim() === label);
  if (!option) throw new Error(`${form.action} offers no ${name} "${label}"`);
  return option.value;
}

/**
 * Submits `form` twice as the browser would: first without its `_csrf` (refused 403, nothing
 * stored changes), then as it is. Returns the real answer, whose status must be `status`.
 */
async function send(
  client: BrowserClient,
  page: Page,
  form: HtmlForm,
  options: { fill?: FormFill; submitter?: string | ((button: FormControl) => boolean) },
  status: number,
) {
  const before = stored();
  const refused = await client.submit(form, { ...options, pageUrl: page.path, without: ["_csrf"] });
  expect({ action: form.action, status: refused.status }).toEqual({ action: form.action, status: 403 });
  expect(stored()).toEqual(before);
  const response = await client.submit(form, { ...options, pageUrl: page.path });
  if (response.status !== status)
    throw new Error(
      `${form.action} answered ${response.status}, not ${status}:\n${response.text.slice(0, 2000)}`,
    );
  formsSubmitted.add(formKind(form));
  return response;
}

/** Follows a 303 to the page it names. */
async function follow(client: BrowserClient, response: { status: number; headers: Headers }) {
  expect(response.status).toBe(303);
  return open(client, response.headers.get("location") as string);
}

const idIn = (location: string | null) => Number((location ?? "").split("?")[0]?.split("/").pop());
const text = (page: Page) => page.text.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ");

beforeAll(async () => {
  server = await startServer({ dataDir: dir.path });
});

afterAll(async () => {
  await server.stop();
  dir.remove();
});

describe("every form, submitted without JavaScript with its own hidden _csrf", () => {
  it("signs up, signs out and signs in again", async () => {
    owner = new BrowserClient(server.url);
    const signup = await open(owner, "/signup");
    const created = await send(
      owner,
      signup,
      pick(signup, "/signup"),
      {
        fill: {
          name: "Forms & Co",
          slug: SLUG,
          ownerName: "Olive",
          ownerEmail: OWNER,
          ownerPassword: PASSWORD,
        },
      },
      303,
    );
    expect(created.headers.get("location")).toBe(`${T}/contacts`);
    const contacts = await follow(owner, created);
    expect(contacts.text).toContain("Forms &amp; Co");

    const out = await send(owner, contacts, pick(contacts, `${T}/logout`), {}, 303);
    expect(out.headers.get("location")).toBe(`${T}/login`);
    expect((await owner.get(`${T}/contacts`)).status).toBe(303);

    const login = await open(owner, `${T}/login`);
    const signedIn = await send(
      owner,
      login,
      pick(login, `${T}/login`),
      { fill: { email: OWNER, password: PASSWORD } },
      303,
    );
    expect((await follow(owner, signedIn)).text).toContain("<h1>Contacts</h1>");
  });

  let ada = 0;
  it("contacts: quick add, full form, edit page, edit row, tasks, notes, activities, delete confirmation", async () => {
    const list = await open(owner, `${T}/contacts`);
    const added = await send(
      owner,
      list,
      pick(list, `${T}/contacts`, (f) => f.id === "new-contact"),
      {
        fill: {
          firstName: "Ada",
          lastName: "Lovelace",
          email: "ada@forms.test",
          companyName: "Analytical Engines",
        },
      },
      303,
    );
    ada = idIn(added.headers.get("location"));
    const page = await follow(owner, added);
    expect(page.text).toContain("<h1>Ada Lovelace</h1>");
    expect(page.text).toContain(">Analytical Engines</a>");

    const blank = await open(owner, `${T}/contacts/new`);
    const full = await send(
      owner,
      blank,
      pick(blank, `${T}/contacts`),
      {
        fill: {
          firstName: "Charles",
          lastName: "Babbage",
          email: "charles@forms.test",
          phone: "+44 20 7946 0001",
          title: "Inventor",
          tags: "engines",
        },
      },
      303,
    );
    const charles = idIn(full.headers.get("location"));
    const charlesPage = await follow(owner, full);
    expect(text(charlesPage)).toContain("Inventor");
    expect(charlesPage.text).toContain(">engines</a>");

    const edit = await open(owner, `${T}/contacts/${ada}/edit`);
    await send(
      owner,
      edit,
      pick(edit, `${T}/contacts/${ada}`),
      { fill: { title: "Countess", tags: "vip, mathematics" } },
      303,
    );
    const row = await open(owner, `${T}/contacts/${ada}/edit?fragment=row`);
    const rowSaved = await send(
      owner,
      row,
      pick(row, `${T}/contacts/${ada}`),
      { fill: { lastName: "King" } },
      303,
    );
    const afterEdits = await follow(owner, rowSaved);
    expect(afterEdits.text).toContain("<h1>Ada King</h1>");
    expect(text(afterEdits)).toContain("Countess");
    expect(afterEdits.text).toContain(">vip</a>");

    await recordForms(`${T}/contacts/${ada}`, "Ada");

    const confirm = await open(owner, `${T}/contacts/${charles}/delete`);
    const deleted = await send(owner, confirm, pick(confirm, `${T}/contacts/${charles}/delete`), {}, 303);
    expect(deleted.headers.get("location")).toBe(`${T}/contacts`);
    expect((await owner.get(`${T}/contacts/${charles}`)).status).toBe(404);
  });

  /** A record page's task, note and activity forms: each lands on the page it was sent from. */
  async function recordForms(path: string, who: string) {
    let page = await open(owner, path);
    const task = await send(
      owner,
      page,
      pick(page, `${T}/tasks`),
      { fill: { title: `Call ${who} back`, dueOn: "2031-03-04", dueTime: "10:30" } },
      303,
    );
    expect(task.headers.get("location")).toBe(path);
    page = await follow(owner, task);
    expect(text(page)).toContain(`Call ${who} back`);

    const note = await send(
      owner,
      page,
      pick(page, `${T}/notes`),
      { fill: { body: `Note about ${who}: likes engines` } },
      303,
    );
    page = await follow(owner, note);
    expect(text(page)).toContain(`Note about ${who}: likes engines`);

    const activity = await send(
      owner,
      page,
      pick(page, `${T}/activities`),
      { fill: { kind: "meeting", direction: "inbound", summary: `Lunch with ${who}` } },
      303,
    );
    page = await follow(owner, activity);
    expect(text(page)).toContain(`Lunch with ${who}`);
  }

  it("companies: quick add, edit page, edit row, record forms, delete confirmation", async () => {
    const list = await open(owner, `${T}/companies`);
    const added = await send(
      owner,
      list,
      pick(list, `${T}/companies`, (f) => f.id === "new-company"),
      { fill: { name: "Difference Engines", domain: "difference.test", city: "London", country: "UK" } },
      303,
    );
    const company = idIn(added.headers.get("location"));
    expect((await follow(owner, added)).text).toContain("<h1>Difference Engines</h1>");

    const edit = await open(owner, `${T}/companies/${company}/edit`);
    await send(
      owner,
      edit,
      pick(edit, `${T}/companies/${company}`),
      { fill: { phone: "+44 20 7946 0002", tags: "supplier" } },
      303,
    );
    const row = await open(owner, `${T}/companies/${company}/edit?fragment=row`);
    const saved = await send(
      owner,
      row,
      pick(row, `${T}/companies/${company}`),
      { fill: { city: "Cambridge" } },
      303,
    );
    const page = await follow(owner, saved);
    expect(text(page)).toContain("Cambridge");
    expect(page.text).toContain(">supplier</a>");

    await recordForms(`${T}/companies/${company}`, "Difference Engines");

    const confirm = await open(owner, `${T}/companies/${company}/delete`);
    const deleted = await send(owner, confirm, pick(confirm, `${T}/companies/${company}/delete`), {}, 303);
    expect(deleted.headers.get("location")).toBe(`${T}/companies`);
    expect((await owner.get(`${T}/companies/${company}`)).status).toBe(404);
  });

  /** Adds a contact (or company) through the list's quick-add bar and returns its id. */
  async function quickAdd(kind: "contacts" | "companies", fill: FormFill): Promise<number> {
    const list = await open(owner, `${T}/${kind}`);
    const form = pick(
      list,
      `${T}/${kind}`,
      (f) => f.id === (kind === "contacts" ? "new-contact" : "new-company"),
    );
    return idIn((await send(owner, list, form, { fill }, 303)).headers.get("location"));
  }

  let deal = 0;
  it("deals: full form, stage, won, lost, reopen, people, board Move to…, record forms, edit, delete", async () => {
    const blank = await open(owner, `${T}/deals/new`);
    const created = await send(
      owner,
      blank,
      pick(blank, `${T}/deals`),
      {
        fill: {
          title: "Engine order",
          amount: "1,250.00",
          expectedCloseOn: "2031-06-30",
          companyName: "Analytical Engines",
          tags: "big",
        },
      },
      303,
    );
    deal = idIn(created.headers.get("location"));
    const path = `${T}/deals/${deal}`;
    let page = await follow(owner, created);
    expect(page.text).toContain('Engine order <span class="stage kind-open">Lead</span>');
    expect(text(page)).toContain("$1,250.00");

    const move = pick(page, `${path}/stage`, pressing("Move"));
    page = await follow(
      owner,
      await send(owner, page, move, { fill: { stageId: optionValue(move, "stageId", "Qualified") } }, 303),
    );
    expect(page.text).toContain('<span class="stage kind-open">Qualified</span>');

    page = await follow(
      owner,
      await send(owner, page, pick(page, `${path}/contacts`), { fill: { email: "ada@forms.test" } }, 303),
    );
    expect(page.text).toContain(`<a href="${T}/contacts/${ada}">Ada King</a>`);
    page = await follow(
      owner,
      await send(owner, page, pick(page, `${path}/contacts/${ada}/delete`), {}, 303),
    );
    expect(page.text).not.toContain(`<a href="${T}/contacts/${ada}">`);
    expect(text(page)).toContain("No one yet.");

    page = await follow(
      owner,
      await send(owner, page, pick(page, `${path}/stage`, pressing("Mark won")), {}, 303),
    );
    expect(page.text).toContain('<span class="stage kind-won">Won</span>');
    page = await follow(
      owner,
      await send(owner, page, pick(page, `${path}/stage`, pressing("Reopen")), {}, 303),
    );
    expect(page.text).toContain('<span class="stage kind-open">Negotiation</span>');
    page = await follow(
      owner,
      await send(
        owner,
        page,
        pick(page, `${path}/stage`, pressing("Mark lost")),
        { fill: { lostReason: "Price too high" } },
        303,
      ),
    );
    expect(page.text).toContain('<span class="stage kind-lost">Lost</span>');
    expect(text(page)).toContain("lost: Price too high");

    // The board's "Move to…" is a link to the deal's move page, whose form posts the stage.
    const board = await open(owner, `${T}/deals/board`);
    expect(board.text).toContain(`<a class="move" href="${path}/stage">`);
    const movePage = await open(owner, `${path}/stage`);
    expect(movePage.text).not.toContain(">Lost</button>");
    const moved = await send(
      owner,
      movePage,
      pick(movePage, `${path}/stage`),
      { submitter: "Proposal" },
      303,
    );
    expect(moved.headers.get("location")).toMatch(new RegExp(`^${T}/deals/board\\?pipelineId=\\d+$`));
    const after = await follow(owner, moved);
    const proposal = after.text.split('<section class="column').find((c) => c.includes(">Proposal</h2>"));
    expect(proposal).toContain(`id="deal-${deal}"`);

    await recordForms(path, "Engine order");

    const edit = await open(owner, `${path}/edit`);
    page = await follow(
      owner,
      await send(owner, edit, pick(edit, path), { fill: { amount: "2,000.50", tags: "big, q3" } }, 303),
    );
    expect(text(page)).toContain("$2,000.50");
    expect(page.text).toContain(">q3</a>");

    const doomed = await open(owner, `${T}/deals/new`);
    const spare = idIn(
      (
        await send(owner, doomed, pick(doomed, `${T}/deals`), { fill: { title: "Spare order" } }, 303)
      ).headers.get("location"),
    );
    const confirm = await open(owner, `${T}/deals/${spare}/delete`);
    const deleted = await send(owner, confirm, pick(confirm, `${T}/deals/${spare}/delete`), {}, 303);
    expect(deleted.headers.get("location")).toMatch(/\/deals\/board\?pipelineId=\d+$/);
    expect((await owner.get(`${T}/deals/${spare}`)).status).toBe(404);
  });

  it("bulk changes from each list, with the rows ticked through their form attribute, and the delete confirmation", async () => {
    const a = await quickAdd("contacts", { firstName: "Bulk", lastName: "One" });
    const b = await quickAdd("contacts", { firstName: "Bulk", lastName: "Two" });
    let list = await open(owner, `${T}/contacts`);
    const tagged = await send(
      owner,
      list,
      pick(list, `${T}/contacts/bulk`),
      { fill: { ids: [String(a), String(b)], action: "addTag", tag: "batch" } },
      303,
    );
    expect(tagged.headers.get("location")).toBe(`${T}/contacts?changed=2`);
    const batch = await open(owner, `${T}/contacts?tag=batch`);
    expect(batch.text).toContain(`id="contact-${a}"`);
    expect(batch.text).toContain(`id="contact-${b}"`);

    list = await open(owner, `${T}/contacts`);
    const asked = await send(
      owner,
      list,
      pick(list, `${T}/contacts/bulk`),
      { fill: { ids: [String(a), String(b)], action: "delete" } },
      200,
    );
    const confirm = inspect(owner, `${T}/contacts/bulk (confirm)`, asked);
    expect(confirm.text).toContain("<h1>Delete 2 contacts?</h1>");
    const gone = await send(owner, confirm, pick(confirm, `${T}/contacts/bulk`), {}, 303);
    expect(gone.headers.get("location")).toBe(`${T}/contacts?changed=2`);
    expect((await owner.get(`${T}/contacts/${a}`)).status).toBe(404);
    expect((await owner.get(`${T}/contacts/${b}`)).status).toBe(404);

    const company = await quickAdd("companies", { name: "Bulk Supplies" });
    const companies = await open(owner, `${T}/companies`);
    await send(
      owner,
      companies,
      pick(companies, `${T}/companies/bulk`),
      { fill: { ids: String(company), action: "addTag", tag: "wholesale" } },
      303,
    );
    expect((await open(owner, `${T}/companies?tag=wholesale`)).text).toContain(`id="company-${company}"`);

    const deals = await open(owner, `${T}/deals`);
    const bulk = pick(deals, `${T}/deals/bulk`);
    await send(
      owner,
      deals,
      bulk,
      {
        fill: {
          ids: String(deal),
          action: "moveStage",
          stageId: optionValue(bulk, "stageId", "Sales: Negotiation"),
        },
      },
      303,
    );
    expect((await open(owner, `${T}/deals/${deal}`)).text).toContain(
      '<span class="stage kind-open">Negotiation</span>',
    );
  });

  it("saves a view of a filtered list and deletes it", async () => {
    const filtered = await open(owner, `${T}/contacts?tag=vip`);
    const save = pick(filtered, `${T}/views`);
    expect(save.controls.find((c) => c.name === "query")?.value).toBe("tag=vip");
    const saved = await send(owner, filtered, save, { fill: { name: "Very important", shared: true } }, 303);
    const withView = await follow(owner, saved);
    expect(text(withView)).toContain("Very important");
    const remove = pick(withView, /\/views\/\d+\/delete$/, pressing("Delete the view Very important"));
    const removed = await send(owner, withView, remove, {}, 303);
    expect(removed.headers.get("location")).toBe(`${T}/contacts`);
    expect(text(await open(owner, `${T}/contacts`))).not.toContain("Very important");
  });

  it("searches and filters through the GET forms: the global search box and a list's filters", async () => {
    const list = await open(owner, `${T}/contacts`);
    const search = list.forms.find((f) => f.method === "get" && f.action === `${T}/search`) as HtmlForm;
    const results = await owner.submit(search, { fill: { q: "king" }, pageUrl: list.path });
    expect(results.status).toBe(200);
    expect(results.text).toContain(`href="${T}/contacts/${ada}"`);
    const filters = list.forms.find((f) => f.method === "get" && f.action === `${T}/contacts`) as HtmlForm;
    const vip = await owner.submit(filters, { fill: { tag: "vip" }, pageUrl: list.path });
    expect(vip.status).toBe(200);
    expect(vip.text).toContain(`id="contact-${ada}"`);
    expect(text(inspect(owner, `${T}/contacts?tag=vip`, vip))).toContain("1 contact");
  });

  it("merges two contacts and two companies, found through the merge page's search", async () => {
    const keep = await quickAdd("contacts", {
      firstName: "Grace",
      lastName: "Hopper",
      email: "grace@navy.test",
    });
    const dup = await quickAdd("contacts", {
      firstName: "Grace",
      lastName: "Hopper",
      email: "amazing@navy.test",
    });
    const search = await open(owner, `${T}/contacts/${keep}/merge`);
    const found = await owner.submit(
      search.forms.find((f) => f.method === "get" && f.action === `${T}/contacts/${keep}/merge`) as HtmlForm,
      { fill: { q: "Hopper" }, pageUrl: search.path },
    );
    expect(found.status).toBe(200);
    expect(found.text).toContain(`${T}/contacts/${keep}/merge?with=${dup}`);

    const compare = await open(owner, `${T}/contacts/${keep}/merge?with=${dup}`);
    const merged = await send(
      owner,
      compare,
      pick(compare, `${T}/contacts/${keep}/merge`),
      { fill: { "keep.email": "duplicate" } },
      303,
    );
    expect(merged.headers.get("location")).toBe(`${T}/contacts/${keep}`);
    expect(text(await follow(owner, merged))).toContain("amazing@navy.test");
    expect((await owner.get(`${T}/contacts/${dup}`)).status).toBe(404);

    const keepCo = await quickAdd("companies", { name: "Navy Labs", city: "Arlington" });
    const dupCo = await quickAdd("companies", { name: "Navy Labs Inc", city: "Washington" });
    const compareCo = await open(owner, `${T}/companies/${keepCo}/merge?with=${dupCo}`);
    const mergedCo = await send(
      owner,
      compareCo,
      pick(compareCo, `${T}/companies/${keepCo}/merge`),
      { fill: { "keep.city": "duplicate" } },
      303,
    );
    expect(text(await follow(owner, mergedCo))).toContain("Washington");
    expect((await owner.get(`${T}/companies/${dupCo}`)).status).toBe(404);
  });

  it("tasks: adds one on the tasks page, marks it done and not done", async () => {
    let page = await open(owner, `${T}/tasks`);
    const added = await send(
      owner,
      page,
      pick(page, `${T}/tasks`),
      { fill: { title: "Order punch cards", dueOn: "2031-01-02" } },
      303,
    );
    expect(added.headers.get("location")).toBe(`${T}/tasks`);
    page = await follow(owner, added);
    // Every task's tick is a button of the page's one task form, naming its own URL (formaction).
    const labelled = (label: string) => (b: FormControl) => b.attributes["aria-label"] === label;
    const toggles = (p: Page) => p.forms.find((f) => f.id === "task-toggle") as HtmlForm;
    const tick = (p: Page, label: string) => toggles(p).controls.find(labelled(label));
    const done = tick(page, "Mark “Order punch cards” done");
    expect(done?.attributes.formaction).toMatch(/\/tasks\/\d+\/completion$/);
    page = await follow(
      owner,
      await send(owner, page, toggles(page), { submitter: labelled("Mark “Order punch cards” done") }, 303),
    );
    const undo = tick(page, "Mark “Order punch cards” not done");
    expect(undo?.value).toBe("false");
    expect(undo?.attributes.formaction).toBe(done?.attributes.formaction);
    page = await follow(
      owner,
      await send(
        owner,
        page,
        toggles(page),
        { submitter: labelled("Mark “Order punch cards” not done") },
        303,
      ),
    );
    expect(tick(page, "Mark “Order punch cards” done")?.value).toBe("true");
  });

  it("settings → team: invitations (revoked, accepted), roles, removal, API keys", async () => {
    let users = await open(owner, `${T}/settings/users`);
    const shown = await send(
      owner,
      users,
      pick(users, `${T}/settings/invitations`),
      { fill: { email: "temp@forms.test", role: "member" } },
      201,
    );
    users = inspect(owner, `${T}/settings/invitations (shown)`, shown);
    expect(text(users)).toContain("temp@forms.test · member");
    users = await follow(
      owner,
      await send(owner, users, pick(users, /\/settings\/invitations\/\d+\/delete$/), {}, 303),
    );
    expect(text(users)).not.toContain("temp@forms.test");

    const invited = await send(
      owner,
      users,
      pick(users, `${T}/settings/invitations`),
      { fill: { email: "lin@forms.test", role: "member" } },
      201,
    );
    const link = /value="(\/t\/forms-co\/invites\/[A-Za-z0-9_-]+)"/.exec(invited.text)?.[1] as string;
    expect(link).toBeString();
    const invitee = new BrowserClient(server.url);
    const accept = await open(invitee, link);
    const joined = await send(
      invitee,
      accept,
      pick(accept, link),
      { fill: { name: "Lin", password: PASSWORD } },
      303,
    );
    expect(joined.headers.get("location")).toBe(`${T}/contacts`);
    expect((await invitee.get(`${T}/contacts`)).status).toBe(200);

    users = await open(owner, `${T}/settings/users`);
    const role = pick(users, /\/settings\/users\/\d+\/role$/);
    expect(role.controls.find((c) => c.name === "role")?.attributes["aria-label"]).toBe("Role for Lin");
    users = await follow(owner, await send(owner, users, role, { fill: { role: "read-only" } }, 303));
    expect(
      pick(users, role.action)
        .controls.find((c) => c.name === "role")
        ?.options.find((o) => o.selected)?.value,
    ).toBe("read-only");

    const keyShown = await send(
      owner,
      users,
      pick(users, `${T}/settings/api-keys`),
      { fill: { name: "Website form", role: "member" } },
      201,
    );
    users = inspect(owner, `${T}/settings/api-keys (shown)`, keyShown);
    const key = /class="secret-value"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*class="secret-value"/.exec(
      keyShown.text,
    );
    const bearer = key?.[1] ?? key?.[2] ?? "";
    const viaKey = () =>
      fetch(`${server.url}/api/v1${T}/contacts`, { headers: { authorization: `Bearer ${bearer}` } });
    expect((await viaKey()).status).toBe(200);
    users = await follow(
      owner,
      await send(owner, users, pick(users, /\/settings\/api-keys\/\d+\/revoke$/), {}, 303),
    );
    expect((await viaKey()).status).toBe(401);

    users = await follow(
      owner,
      await send(owner, users, pick(users, /\/settings\/users\/\d+\/delete$/), {}, 303),
    );
    expect(text(users)).not.toContain("lin@forms.test");
    expect((await invitee.get(`${T}/contacts`)).status).toBe(303);
  });

  it("settings → pipelines: rename, edit, reorder, add and delete stages; add and delete a pipeline", async () => {
    let page = await open(owner, `${T}/settings/pipelines`);
    const sales = pick(page, /\/settings\/pipelines\/\d+$/, showing("name", "Sales"));
    page = await follow(owner, await send(owner, page, sales, { fill: { name: "Sales pipeline" } }, 303));
    expect(pick(page, sales.action).controls[1]?.value).toBe("Sales pipeline");

    const lead = pick(page, /\/settings\/stages\/\d+$/, showing("name", "Lead"));
    page = await follow(
      owner,
      await send(owner, page, lead, { fill: { name: "Leads", probability: "15" } }, 303),
    );
    expect(
      pick(page, lead.action, showing("name", "Leads")).controls.find((c) => c.name === "probability")?.value,
    ).toBe("15");
    page = await follow(
      owner,
      await send(owner, page, pick(page, lead.action, pressing("Move Leads down")), {}, 303),
    );
    expect(page.text.indexOf('value="Qualified"')).toBeLessThan(page.text.indexOf('value="Leads"'));
    expect(
      pick(page, lead.action, showing("name", "Leads")).controls.find((c) => c.name === "position")?.value,
    ).toBe("1");

    page = await follow(
      owner,
      await send(
        owner,
        page,
        pick(page, `${sales.action}/stages`),
        { fill: { name: "Demo", probability: "40", kind: "open" } },
        303,
      ),
    );
    const demo = pick(page, /\/settings\/stages\/\d+$/, showing("name", "Demo"));
    page = await follow(owner, await send(owner, page, pick(page, `${demo.action}/delete`), {}, 303));
    expect(page.text).not.toContain('value="Demo"');

    page = await follow(
      owner,
      await send(owner, page, pick(page, `${T}/settings/pipelines`), { fill: { name: "Partnerships" } }, 303),
    );
    const partnerships = pick(page, /\/settings\/pipelines\/\d+$/, showing("name", "Partnerships"));
    page = await follow(owner, await send(owner, page, pick(page, `${partnerships.action}/delete`), {}, 303));
    expect(page.text).not.toContain("Partnerships</h2>");
  });

  it("settings → custom fields: add one, fill it on a contact's form, edit it, delete it", async () => {
    let page = await open(owner, `${T}/settings/fields`);
    page = await follow(
      owner,
      await send(
        owner,
        page,
        pick(page, `${T}/settings/fields`),
        { fill: { entity: "contact", label: "Engine", type: "select", options: "Difference\nAnalytical" } },
        303,
      ),
    );
    const field = pick(page, /\/settings\/fields\/\d+$/, showing("label", "Engine"));

    const edit = await open(owner, `${T}/contacts/${ada}/edit`);
    const withField = await follow(
      owner,
      await send(
        owner,
        edit,
        pick(edit, `${T}/contacts/${ada}`),
        { fill: { "cf.engine": "Analytical" } },
        303,
      ),
    );
    expect(text(withField)).toContain("Engine Analytical");

    page = await open(owner, `${T}/settings/fields`);
    page = await follow(
      owner,
      await send(
        owner,
        page,
        pick(page, field.action),
        { fill: { label: "Favourite engine", options: "Difference\nAnalytical\nTabulating" } },
        303,
      ),
    );
    expect(pick(page, field.action).controls.find((c) => c.name === "options")?.value).toBe(
      "Difference\nAnalytical\nTabulating",
    );
    page = await follow(owner, await send(owner, page, pick(page, `${field.action}/delete`), {}, 303));
    expect(page.text).not.toContain("Favourite engine");
    expect(text(await open(owner, `${T}/contacts/${ada}`))).not.toContain("Favourite engine");
  });

  it("privacy and audit: erases a person from the erasure page; the audit log shows the changes", async () => {
    const person = await quickAdd("contacts", {
      firstName: "Erin",
      lastName: "Erased",
      email: "erin@forms.test",
    });
    const privacy = await open(owner, `${T}/privacy`);
    // The workspace downloads: each form starts a background task whose page, once it is done,
    // offers the file (the page is read when finished: a running one also shows Cancel).
    for (const [download, type] of [
      ["workspace.sqlite", "application/vnd.sqlite3"],
      ["workspace.zip", "application/zip"],
    ] as const) {
      const started = await send(owner, privacy, pick(privacy, `${T}/privacy/${download}`), {}, 303);
      const task = await waitForTask(owner, started.headers.get("location"));
      expect({ download, status: task.status }).toEqual({ download, status: "Done." });
      const done = await open(owner, task.path);
      expect(done.forms.filter((f) => f.method === "post" && f.action !== `${T}/logout`)).toEqual([]);
      expect(task.links).toEqual([expect.stringMatching(new RegExp(`^${T}/downloads/\\d+$`))]);
      const file = await owner.get(task.links[0] as string);
      expect({ download, status: file.status, type: file.headers.get("content-type") }).toEqual({
        download,
        status: 200,
        type,
      });
    }

    const erasure = await open(owner, `${T}/privacy/contacts/${person}/erasure`);
    const erased = await send(
      owner,
      erasure,
      pick(erasure, `${T}/privacy/contacts/${person}/erasure`),
      {},
      303,
    );
    // It runs in the background: its page tells when it is done and leads back to the list.
    const task = await waitForTask(owner, erased.headers.get("location"));
    expect(task.status).toBe("Done.");
    expect(task.links).toEqual([`${T}/contacts`]);
    expect(text(await open(owner, task.path))).toContain("Contacts");
    expect((await owner.get(`${T}/contacts/${person}`)).status).toBe(404);

    const audit = await open(owner, `${T}/settings/audit`);
    expect(text(audit)).toContain("Engine order");
    expect(text(audit)).not.toContain("Erin");
  });

  it("covered every kind of POST form the pages showed, on enough pages and actions to mean it", () => {
    expect(pagesChecked.length).toBeGreaterThanOrEqual(90);
    expect([...formsSeen].filter(([kind]) => !formsSubmitted.has(kind))).toEqual([]);
    const actions = new Set([...formsSubmitted].map((kind) => kind.split(" ")[1]));
    expect(actions.size).toBeGreaterThanOrEqual(43);
    expect(formsSubmitted.size).toBeGreaterThanOrEqual(52);
  });
});
