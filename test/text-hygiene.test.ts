import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, PASSWORD, signIn } from "./support/workspace.ts";

/**
 * One rule for the text people type: control characters (C0, DEL, C1) and bidirectional
 * overrides and isolates are refused with a 422 naming the field, in every text field of the
 * records, notes, tasks, activities, custom values, saved views and names, and nothing is
 * written. A note keeps its line breaks and tabs.
 */

const T = "hygiene";
const HOSTILE: Record<string, string> = {
  "right-to-left override": "invoice\u202Efdp.exe",
  "left-to-right embedding": "a\u202Ab",
  "first strong isolate": "a\u2068b\u2069",
  NUL: "a\u0000b",
  ESC: "red \u001b[31mtext",
  DEL: "a\u007fb",
  "C1 next line": "a\u0085b",
};

let server: TestServer;
const dir = tempDir();
let data: DataDir;
let call: ReturnType<typeof api>;
let contactId: number;
let dealId: number;
let noteId: number;
let taskId: number;
let pipelineId: number;

/** A count or a value read straight from the workspace's file. */
function read(sql: string): Promise<unknown> {
  return data.shards.use(data.get(T), (s) => s.statement(sql).get());
}

/** Where an API write stores what it is given: read before and after a refusal, it must not change. */
const COUNT = (table: string) => `SELECT count(*) AS n FROM ${table}`;

interface ApiCase {
  name: string;
  method: "POST" | "PATCH";
  path: () => string;
  body: (value: string) => object;
  field: string;
  state: string;
}

const API_CASES: ApiCase[] = [
  {
    name: "a contact's first name",
    method: "POST",
    path: () => `/t/${T}/contacts`,
    body: (v) => ({ firstName: v }),
    field: "firstName",
    state: COUNT("contacts"),
  },
  {
    name: "a contact's last name",
    method: "POST",
    path: () => `/t/${T}/contacts`,
    body: (v) => ({ firstName: "Ok", lastName: v }),
    field: "lastName",
    state: COUNT("contacts"),
  },
  {
    name: "a contact's title, on edit",
    method: "PATCH",
    path: () => `/t/${T}/contacts/${contactId}`,
    body: (v) => ({ title: v }),
    field: "title",
    state: "SELECT title, updated_at FROM contacts ORDER BY id LIMIT 1",
  },
  {
    name: "a contact's custom text value",
    method: "POST",
    path: () => `/t/${T}/contacts`,
    body: (v) => ({ firstName: "Ok", customFields: { hobby: v } }),
    field: "customFields.hobby",
    state: COUNT("contacts"),
  },
  {
    name: "a company's name",
    method: "POST",
    path: () => `/t/${T}/companies`,
    body: (v) => ({ name: v }),
    field: "name",
    state: COUNT("companies"),
  },
  {
    name: "a company's city",
    method: "POST",
    path: () => `/t/${T}/companies`,
    body: (v) => ({ name: "Ok", city: v }),
    field: "city",
    state: COUNT("companies"),
  },
  {
    name: "a deal's title",
    method: "POST",
    path: () => `/t/${T}/deals`,
    body: (v) => ({ title: v }),
    field: "title",
    state: COUNT("deals"),
  },
  {
    name: "a deal's lost reason",
    method: "PATCH",
    path: () => `/t/${T}/deals/${dealId}`,
    body: (v) => ({ lostReason: v }),
    field: "lostReason",
    state: "SELECT lost_reason, updated_at FROM deals ORDER BY id LIMIT 1",
  },
  {
    name: "a note",
    method: "POST",
    path: () => `/t/${T}/notes`,
    body: (v) => ({ subjectType: "contact", subjectId: contactId, body: v }),
    field: "body",
    state: COUNT("notes"),
  },
  {
    name: "a note, on edit",
    method: "PATCH",
    path: () => `/t/${T}/notes/${noteId}`,
    body: (v) => ({ body: v }),
    field: "body",
    state: "SELECT body FROM notes ORDER BY id LIMIT 1",
  },
  {
    name: "a task's title",
    method: "POST",
    path: () => `/t/${T}/tasks`,
    body: (v) => ({ title: v }),
    field: "title",
    state: COUNT("tasks"),
  },
  {
    name: "a task's title, on edit",
    method: "PATCH",
    path: () => `/t/${T}/tasks/${taskId}`,
    body: (v) => ({ title: v }),
    field: "title",
    state: "SELECT title FROM tasks ORDER BY id LIMIT 1",
  },
  {
    name: "an activity's summary",
    method: "POST",
    path: () => `/t/${T}/interactions`,
    body: (v) => ({ kind: "call", subjectType: "contact", subjectId: contactId, summary: v }),
    field: "summary",
    state: COUNT("interactions"),
  },
  {
    name: "a custom field's label",
    method: "POST",
    path: () => `/t/${T}/custom-fields`,
    body: (v) => ({ entity: "contact", key: "other", label: v, type: "text" }),
    field: "label",
    state: COUNT("custom_fields"),
  },
  {
    name: "a custom field's option",
    method: "POST",
    path: () => `/t/${T}/custom-fields`,
    body: (v) => ({ entity: "contact", key: "other", label: "Other", type: "select", options: ["fine", v] }),
    field: "options.1",
    state: COUNT("custom_fields"),
  },
  {
    name: "a pipeline's name",
    method: "POST",
    path: () => `/t/${T}/pipelines`,
    body: (v) => ({ name: v }),
    field: "name",
    state: COUNT("pipelines"),
  },
  {
    name: "a stage's name",
    method: "POST",
    path: () => `/t/${T}/pipelines/${pipelineId}/stages`,
    body: (v) => ({ name: v }),
    field: "name",
    state: COUNT("stages"),
  },
];

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant(T, "owner@hygiene.test");
  server = await startServer({ dataDir: dir.path });
  call = api(server.url, await data.apiKey(T, "owner"));
  const created = async (path: string, body: object) => {
    const response = await call("POST", path, body);
    if (response.status !== 201) throw new Error(`POST ${path}: ${response.status} ${response.text}`);
    return response.json.id as number;
  };
  await created(`/t/${T}/custom-fields`, { entity: "contact", key: "hobby", label: "Hobby", type: "text" });
  contactId = await created(`/t/${T}/contacts`, { firstName: "Clean", title: "Buyer" });
  dealId = await created(`/t/${T}/deals`, { title: "Clean deal" });
  noteId = await created(`/t/${T}/notes`, { subjectType: "contact", subjectId: contactId, body: "first" });
  taskId = await created(`/t/${T}/tasks`, { title: "Call back" });
  pipelineId = await created(`/t/${T}/pipelines`, { name: "Partners" });
});

afterAll(async () => {
  await server.stop();
  data.close();
  dir.remove();
});

describe("text hygiene in the API", () => {
  for (const c of API_CASES) {
    it(`refuses control and bidirectional characters in ${c.name} with a 422 naming ${c.field}, and writes nothing`, async () => {
      for (const [label, value] of Object.entries(HOSTILE)) {
        const before = await read(c.state);
        const response = await call(c.method, c.path(), c.body(value));
        expect({ label, status: response.status }).toEqual({ label, status: 422 });
        expect(response.headers.get("content-type")).toStartWith("application/problem+json");
        const named = (response.json.errors as { field: string; message: string }[]).filter(
          (e) => e.field === c.field,
        );
        expect({ label, messages: named.map((e) => e.message) }).toEqual({
          label,
          messages: [
            label.includes("C1") || label === "NUL" || label === "ESC" || label === "DEL"
              ? "must not contain control characters"
              : "must not contain bidirectional control characters",
          ],
        });
        expect(await read(c.state)).toEqual(before);
      }
    });
  }

  it("keeps a note's line breaks and tabs as typed, and a custom text value's too", async () => {
    const body = "Agenda:\n\t1. prices\r\n\t2. dates";
    const note = await call("POST", `/t/${T}/notes`, { subjectType: "contact", subjectId: contactId, body });
    expect(note.status).toBe(201);
    expect(await read(`SELECT body FROM notes WHERE id = ${Number(note.json.id)}`)).toEqual({ body });
    const hobby = "Sailing\nand\tchess";
    const contact = await call("POST", `/t/${T}/contacts`, { firstName: "Lines", customFields: { hobby } });
    expect(contact.status).toBe(201);
    expect(contact.json.customFields.hobby).toBe(hobby);
  });

  it("accepts text in any script, with the marks that are not controls (right-to-left letters, emoji, accents)", async () => {
    const firstName = "שלום Zoë 🌷 محمد";
    const response = await call("POST", `/t/${T}/contacts`, { firstName });
    expect(response.status).toBe(201);
    expect(response.json.firstName).toBe(firstName);
  });
});

/** Invisible formatting characters at a name's ends: Ada and one of these look the same as Ada. */
const INVISIBLE_EDGES: Record<string, string> = {
  "zero-width space after": "Ada\u200B",
  "zero-width joiner after, then a space": "Ada\u200D ",
  "left-to-right mark before": "\u200EAda",
  "right-to-left mark after": "Ada\u200F",
  "Arabic letter mark before": "\u061CAda",
  "word joiner after": "Ada\u2060",
  "zero-width no-break space before": "\uFEFFAda",
};

describe("invisible characters and line separators in one line of text", () => {
  it("refuses an invisible formatting character at either end of a name (422 naming it), nothing written", async () => {
    const before = await read(COUNT("contacts"));
    for (const [label, firstName] of Object.entries(INVISIBLE_EDGES)) {
      const response = await call("POST", `/t/${T}/contacts`, { firstName });
      expect({ label, status: response.status, errors: response.json.errors }).toEqual({
        label,
        status: 422,
        errors: [
          { field: "firstName", message: "must not begin or end with an invisible formatting character" },
        ],
      });
    }
    expect(await read(COUNT("contacts"))).toEqual(before);
  });

  it("keeps joiners inside a name, where scripts need them (a Persian non-joiner, an emoji sequence), and in a note", async () => {
    for (const firstName of [
      "\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645",
      "Dev \u{1F469}\u200D\u{1F4BB} Ada",
    ]) {
      const response = await call("POST", `/t/${T}/contacts`, { firstName });
      expect(`${response.status} ${response.json.firstName}`).toBe(`201 ${firstName}`);
    }
    const body = "\u200Bnote\u2028with a line separator\u200B";
    const note = await call("POST", `/t/${T}/notes`, { subjectType: "contact", subjectId: contactId, body });
    expect(note.status).toBe(201);
  });

  it("refuses U+2028 and U+2029 in a name as control characters, and a lone surrogate in a note", async () => {
    for (const firstName of ["A\u2028B", "A\u2029B"]) {
      const response = await call("POST", `/t/${T}/contacts`, { firstName });
      expect(response.json.errors).toEqual([
        { field: "firstName", message: "must not contain control characters" },
      ]);
    }
    const note = await call("POST", `/t/${T}/notes`, {
      subjectType: "contact",
      subjectId: contactId,
      body: "a\uD800",
    });
    expect(`${note.status} ${note.json.errors[0].field}`).toBe("422 body");
  });
});

describe("text hygiene in forms", () => {
  let owner: BrowserClient;
  beforeAll(async () => {
    owner = await signIn(server.url, T, "owner@hygiene.test");
  });

  it("refuses a company typed by name on a contact's and a deal's form, inline, and creates nothing", async () => {
    for (const value of Object.values(HOSTILE)) {
      const before = await read(
        "SELECT (SELECT count(*) FROM contacts) AS c, (SELECT count(*) FROM companies) AS co, (SELECT count(*) FROM deals) AS d",
      );
      const contact = await owner.post(`/t/${T}/contacts`, { firstName: "Typed", companyName: value });
      expect(contact.status).toBe(422);
      expect(contact.text).toContain('-companyName-error"');
      const deal = await owner.post(`/t/${T}/deals`, { title: "Typed", companyName: value });
      expect(deal.status).toBe(422);
      expect(deal.text).toContain('-companyName-error"');
      expect(
        await read(
          "SELECT (SELECT count(*) FROM contacts) AS c, (SELECT count(*) FROM companies) AS co, (SELECT count(*) FROM deals) AS d",
        ),
      ).toEqual(before);
    }
  });

  it("refuses an invisible formatting character at either end of a name typed into a form, as the API does", async () => {
    const before = await read(COUNT("contacts"));
    for (const firstName of Object.values(INVISIBLE_EDGES)) {
      const page = await owner.post(`/t/${T}/contacts`, { firstName });
      expect(page.status).toBe(422);
      expect(page.text).toContain("must not begin or end with an invisible formatting character");
    }
    expect(await read(COUNT("contacts"))).toEqual(before);
  });

  it("refuses a saved view whose name or query carries them, naming the field", async () => {
    for (const value of Object.values(HOSTILE)) {
      const byName = await owner.post(`/t/${T}/views`, { list: "contacts", name: value, query: "" });
      expect(byName.status).toBe(422);
      expect(byName.text).toContain("name: must not contain");
      const byQuery = await owner.post(`/t/${T}/views`, {
        list: "contacts",
        name: "Hostile search",
        query: `q=${encodeURIComponent(value)}`,
      });
      expect(byQuery.status).toBe(422);
      expect(byQuery.text).toContain("query: must not contain");
    }
    expect(await read(COUNT("saved_views"))).toEqual({ n: 0 });
  });

  it("refuses them in the names people give themselves and their workspace (sign-up, joining) and in an API key's name", async () => {
    const value = HOSTILE["right-to-left override"] as string;
    const visitor = new BrowserClient(server.url);
    await visitor.get("/signup");
    for (const field of ["name", "ownerName"]) {
      const fields = {
        name: "Fine Co",
        slug: "fine-co",
        ownerName: "Fine",
        ownerEmail: "fine@example.com",
        ownerPassword: PASSWORD,
        [field]: value,
      };
      const signup = await visitor.post("/signup", fields);
      expect(signup.status).toBe(422);
      expect(signup.text).toContain(`id="signup-${field}-error"`);
    }
    expect(data.catalog.findBySlug("fine-co")).toBeUndefined();

    await owner.get(`/t/${T}/settings/users`);
    const invite = await owner.post(`/t/${T}/settings/invitations`, {
      email: "joiner@hygiene.test",
      role: "member",
    });
    const link = /value="(\/t\/hygiene\/invites\/[^"]+)"/.exec(invite.text)?.[1] as string;
    expect(link).toStartWith(`/t/${T}/invites/`);
    const joiner = new BrowserClient(server.url);
    await joiner.get(link);
    const joined = await joiner.post(link, { name: HOSTILE.NUL as string, password: PASSWORD });
    expect(joined.status).toBe(422);
    expect(joined.text).toContain("must not contain control characters");
    expect(await read("SELECT count(*) AS n FROM users WHERE email = 'joiner@hygiene.test'")).toEqual({
      n: 0,
    });

    await owner.get(`/t/${T}/settings/users`);
    const key = await owner.post(`/t/${T}/settings/api-keys`, { name: value, role: "member" });
    expect(key.status).toBe(422);
    expect(key.text).toContain("must not contain bidirectional control characters");
  });
});
