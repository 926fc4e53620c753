import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { unzipSync } from "fflate";
import { waitForTask } from "./support/background-task.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

/**
 * CSV quoting as a spreadsheet reads it, over the real server: a cell holding `;` is quoted
 * (Excel splits on it where `;` is the list separator), and RFC 4180's quoting of `"`, `,` and
 * line breaks is kept, in the list export and in the workspace's CSV zip.
 */
const SLUG = "csvq";
const dir = tempDir();
let server: TestServer;
let data: DataDir;
let owner: BrowserClient;

/** Values that need quoting, each alone in its field. */
const TITLE = "Sales; EMEA";
const LAST = 'O\'Neil, "Jr"; II';
const CITY = "Cork; Ireland";
const NOTE = "Call back;\nafter Easter";

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant(SLUG, "owner@csvq.test");
  server = await startServer({ dataDir: dir.path });
  owner = await signIn(server.url, SLUG, "owner@csvq.test");
  const call = api(server.url, await data.apiKey(SLUG, "member"));
  const company = await call("POST", `/t/${SLUG}/companies`, { name: "Semi Colon Ltd", city: CITY });
  expect(company.status).toBe(201);
  const contact = await call("POST", `/t/${SLUG}/contacts`, {
    firstName: "Plain",
    lastName: LAST,
    title: TITLE,
    companyId: company.json.id,
  });
  expect(contact.status).toBe(201);
  const note = await call("POST", `/t/${SLUG}/notes`, {
    subjectType: "contact",
    subjectId: contact.json.id,
    body: NOTE,
  });
  expect(note.status).toBe(201);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  data?.close();
  dir.remove();
});

/** A whole RFC 4180 document, read as Excel does with `,` as the separator: records of fields. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      record.push(field);
      field = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      record.push(field);
      records.push(record);
      record = [];
      field = "";
      i++;
    } else field += ch;
  }
  if (field || record.length) throw new Error("the last record does not end with CRLF");
  return records;
}

/** Every `;` of the document outside a quoted field: where a semicolon-locale Excel would split a cell. */
function bareSemicolons(text: string): number {
  let quoted = false;
  let bare = 0;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ";" && !quoted) bare++;
  }
  return bare;
}

const objects = (text: string) => {
  const [header, ...rows] = parseCsv(text);
  return rows.map((row) => Object.fromEntries((header ?? []).map((name, i) => [name, row[i] ?? ""])));
};

describe("CSV cells holding a semicolon", () => {
  it("are quoted in a list export, and every value reads back whole (RFC 4180)", async () => {
    const response = await owner.get(`/t/${SLUG}/exports/contacts.csv`);
    expect(response.status).toBe(200);
    expect(response.text).toContain(`"${TITLE}"`);
    expect(response.text).toContain('"O\'Neil, ""Jr""; II"');
    expect(bareSemicolons(response.text)).toBe(0);
    const rows = objects(response.text);
    expect(rows).toHaveLength(1);
    expect(Object.values(rows[0] ?? {})).toEqual(expect.arrayContaining([TITLE, LAST]));
  });

  it("are quoted in the workspace's CSV zip, line breaks inside a field included", async () => {
    await owner.get(`/t/${SLUG}/privacy`);
    const started = await owner.post(`/t/${SLUG}/privacy/workspace.zip`, {});
    expect(started.status).toBe(303);
    const task = await waitForTask(owner, started.headers.get("location"));
    expect(task.status).toBe("Done.");
    const response = await fetch(server.url + (task.links[0] as string), {
      headers: { cookie: `crm_session=${owner.cookie("crm_session")}` },
    });
    expect(response.status).toBe(200);
    const files = unzipSync(new Uint8Array(await response.arrayBuffer()));
    const decode = (name: string) => new TextDecoder().decode(files[name]);
    for (const name of ["contacts.csv", "companies.csv", "notes.csv"])
      expect(bareSemicolons(decode(name))).toBe(0);
    expect(decode("contacts.csv")).toContain(`"${TITLE}"`);
    expect(objects(decode("contacts.csv"))[0]).toMatchObject({ title: TITLE, last_name: LAST });
    expect(decode("companies.csv")).toContain(`"${CITY}"`);
    expect(objects(decode("companies.csv"))[0]).toMatchObject({ city: CITY });
    expect(decode("notes.csv")).toContain('"Call back;\nafter Easter"');
    expect(objects(decode("notes.csv"))[0]).toMatchObject({ body: NOTE });
  });
});
