import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { unzipSync } from "fflate";
import type { Shard } from "../src/tenancy/shard.ts";
import { waitForTask } from "./support/background-task.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

// The person to export and erase: a name and an email that occur nowhere else, so a byte scan
// of the workspace's file finds them only if something of the person was left behind.
const PERSON = {
  firstName: "Ilse",
  lastName: "Quorvenkle-Zyxw",
  email: "ilse.qz@quorvenkle.example",
  oldLastName: "Quorvenkle",
  oldEmail: "ilse.old@quorvenkle.example",
  phone: "+44 20 7946 0123",
  linkedIn: "https://linkedin.example/in/ilse-qz-7731",
};
/** What must be nowhere in the file after the erasure (the search index stores lower-cased words). */
const TRACES = ["Quorvenkle", "quorvenkle", "QUORVENKLE", "ilse.qz", "ilse.old", "ilse-qz-7731", "7946 0123"];
const OTHER_CONTACTS = 150;
/** Invited in beforeAll: the address is in the invitations table only. */
const INVITED = "invited.zq@acme.example";
const BUSINESS_TABLES = ["contacts", "companies", "deals", "interactions", "notes", "tasks"] as const;
type Counts = Record<(typeof BUSINESS_TABLES)[number], number>;
const WORKSPACE_CSVS = [
  "contacts.csv",
  "companies.csv",
  "deals.csv",
  "deal_contacts.csv",
  "pipelines.csv",
  "stages.csv",
  "tasks.csv",
  "notes.csv",
  "interactions.csv",
  "events.csv",
  "tags.csv",
  "contact_tags.csv",
  "company_tags.csv",
  "deal_tags.csv",
  "custom_fields.csv",
  "custom_values.csv",
  "users.csv",
];

let server: TestServer;
const dir = tempDir();
/** The server's TMPDIR: where workspace copies are made, and must not stay. */
const serverTmp = tempDir("crm-privacy-tmp-");
let data: DataDir;
let owner: BrowserClient;
let admin: BrowserClient;
let member: BrowserClient;
let reader: BrowserClient;
let acme: ReturnType<typeof api>;
let acmeKey: string;
let invitationToken: string;
let personId: number;
let otherPersonId: number;
let mentionDealId: number;
let foreignContactId: number;
let dealId: number;
const ids: Record<string, number> = {};

const useShard = <T>(slug: string, fn: (shard: Shard) => T) => data.shards.use(data.get(slug), fn);
const countRows = (shard: Shard, table: string) =>
  (shard.statement(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
const businessCounts = (shard: Shard) =>
  Object.fromEntries(BUSINESS_TABLES.map((t) => [t, countRows(shard, t)])) as Counts;
const liveCounts = () => useShard("acme", businessCounts);

/** A download as bytes (BrowserClient reads bodies as text, which would mangle a ZIP). */
async function download(client: BrowserClient, path: string) {
  const response = await fetch(server.url + path, {
    redirect: "manual",
    headers: { cookie: `crm_session=${client.cookie("crm_session")}` },
  });
  return {
    status: response.status,
    headers: response.headers,
    bytes: new Uint8Array(await response.arrayBuffer()),
  };
}

/** The workspace's prepared downloads waiting on the server's disk (under the data directory). */
const waitingDownloads = () => {
  const root = join(dir.path, "downloads", data.get("acme").id);
  return existsSync(root) ? readdirSync(root) : [];
};

/**
 * A workspace download as an owner gets it now: the page's form starts it, its progress page
 * shows it being prepared and then links to the file, which is fetched once.
 */
async function prepareAndDownload(client: BrowserClient, path: string) {
  await client.get("/t/acme/privacy");
  const started = await client.post(path, {});
  expect(started.status).toBe(303);
  const task = await waitForTask(client, started.headers.get("location"));
  expect(task.status).toBe("Done.");
  expect(task.links).toEqual([`/t/acme/downloads/${task.id}`]);
  const link = task.links[0] as string;
  const response = await download(client, link);
  return { ...response, link, task };
}

/** A whole RFC 4180 document: records of fields. */
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

/** CSV records as objects keyed by the header. */
function csvObjects(bytes: Uint8Array | undefined): Record<string, string>[] {
  if (!bytes) throw new Error("missing file");
  const [header, ...rows] = parseCsv(new TextDecoder().decode(bytes));
  return rows.map((row) => Object.fromEntries((header ?? []).map((name, i) => [name, row[i] ?? ""])));
}

/** Every offset of `needle` in the bytes of `file` (and nothing if the file does not exist). */
function occurrences(file: string, needle: string): number[] {
  if (!existsSync(file)) return [];
  const bytes = readFileSync(file);
  const found: number[] = [];
  for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) found.push(at);
  return found;
}

const tenantFile = (slug: string) => join(dir.path, data.get(slug).file);

beforeAll(async () => {
  server = await startServer({ dataDir: dir.path, env: { TMPDIR: serverTmp.path } });
  data = new DataDir(dir.path);
  await data.tenant("acme", "owner@acme.test");
  await data.tenant("other", "owner@other.test");
  await data.user("acme", "admin@acme.test", "admin");
  await data.user("acme", "member@acme.test", "member");
  await data.user("acme", "reader@acme.test", "read-only");
  acmeKey = await data.apiKey("acme", "member");
  acme = api(server.url, acmeKey);
  owner = await signIn(server.url, "acme", "owner@acme.test");
  admin = await signIn(server.url, "acme", "admin@acme.test");
  member = await signIn(server.url, "acme", "member@acme.test");
  reader = await signIn(server.url, "acme", "reader@acme.test");
  for (const user of (await useShard("acme", (s) => s.statement("SELECT id, email FROM users").all())) as {
    id: number;
    email: string;
  }[])
    ids[user.email] = user.id;

  // Through the API: a company, the person (then edited twice: old versions of a row are where
  // deleted bytes like to hide), and enough other people for the indexes to have inner pages.
  const company = await acme("POST", "/t/acme/companies", { name: "Blue Harbour Ltd" });
  expect(company.status).toBe(201);
  const created = await acme("POST", "/t/acme/contacts", {
    firstName: PERSON.firstName,
    lastName: PERSON.oldLastName,
    email: PERSON.oldEmail,
    phone: PERSON.phone,
    title: "Buyer",
    companyId: company.json.id,
    ownerId: ids["admin@acme.test"],
    tags: ["vip", "lead"],
  });
  expect(created.status).toBe(201);
  personId = created.json.id;
  for (let i = 0; i < OTHER_CONTACTS; i += 25) {
    await Promise.all(
      Array.from({ length: Math.min(25, OTHER_CONTACTS - i) }, (_, k) =>
        acme("POST", "/t/acme/contacts", {
          firstName: `Person${i + k}`,
          lastName: `Sample${i + k}`,
          email: `person${i + k}@sample.example`,
          title: "Engineer",
        }),
      ),
    );
  }
  const other = await acme("POST", "/t/acme/contacts", {
    firstName: "Grace",
    lastName: "Hopper",
    email: "grace@navy.example",
  });
  otherPersonId = other.json.id;
  expect(
    (await acme("PATCH", `/t/acme/contacts/${personId}`, { lastName: PERSON.lastName, title: "Head buyer" }))
      .status,
  ).toBe(200);
  expect((await acme("PATCH", `/t/acme/contacts/${personId}`, { email: PERSON.email })).status).toBe(200);

  // Records that are not the person's but quote them: a deal named after them (as the New deal
  // form suggests for someone without a company) and a note on their company with their email.
  const namedDeal = await acme("POST", "/t/acme/deals", {
    title: `${PERSON.firstName} ${PERSON.lastName}`,
    contactIds: [otherPersonId],
  });
  expect(namedDeal.status).toBe(201);
  mentionDealId = namedDeal.json.id;
  const quoting = await acme("POST", "/t/acme/notes", {
    subjectType: "company",
    subjectId: company.json.id,
    body: `Renewal: write to ${PERSON.email} before May`,
  });
  expect(quoting.status).toBe(201);

  const foreign = await api(server.url, await data.apiKey("other", "member"))("POST", "/t/other/contacts", {
    firstName: "Foreign",
    lastName: "Person",
  });
  foreignContactId = foreign.json.id;

  // Directly in the file: notes, a task, logged activity, custom fields and a deal.
  dealId = await useShard("acme", (s) =>
    s.transaction(() => {
      const now = Date.now();
      const note = s.statement(
        "INSERT INTO notes (body, subject_type, subject_id, author_id, created_at, updated_at) VALUES (?, 'contact', ?, ?, ?, ?)",
      );
      note.run(
        `Met ${PERSON.firstName} ${PERSON.lastName} at the fair`,
        personId,
        ids["admin@acme.test"],
        now,
        now,
      );
      note.run(`=HYPERLINK("https://evil.example","${PERSON.email}")`, personId, null, now + 1, now + 1);
      note.run("Grace prefers email", otherPersonId, null, now, now);
      const task = s
        .statement(
          "INSERT INTO tasks (title, subject_type, subject_id, created_at, updated_at) VALUES (?, 'contact', ?, ?, ?) RETURNING id",
        )
        .get(`Call ${PERSON.lastName} back`, personId, now, now) as { id: number };
      const log = s.statement(
        "INSERT INTO interactions (occurred_at, actor_type, actor_id, kind, subject_type, subject_id, payload) VALUES (?, 'user', ?, ?, ?, ?, ?)",
      );
      log.run(
        now,
        ids["admin@acme.test"],
        "call",
        "contact",
        personId,
        JSON.stringify({ summary: `Called ${PERSON.email}` }),
      );
      log.run(
        now,
        ids["admin@acme.test"],
        "call",
        "contact",
        otherPersonId,
        JSON.stringify({ summary: "Called Grace" }),
      );
      // A task's completion is logged on the record it is about, or on the task itself if it was
      // about nothing then: both carry its title.
      const completed = JSON.stringify({ taskId: task.id, title: `Call ${PERSON.lastName} back` });
      log.run(now, ids["admin@acme.test"], "task.completed", "contact", personId, completed);
      log.run(now, ids["admin@acme.test"], "task.completed", "task", task.id, completed);
      const field = s.statement(
        "INSERT INTO custom_fields (entity, key, label, type, position, created_at) VALUES ('contact', ?, ?, ?, ?, ?) RETURNING id",
      );
      const linkedIn = field.get("linkedin", "LinkedIn", "text", 0, now) as { id: number };
      const newsletter = field.get("newsletter", "Newsletter", "checkbox", 1, now) as { id: number };
      const value = s.statement(
        "INSERT INTO custom_values (field_id, record_id, text_value, num_value) VALUES (?, ?, ?, ?)",
      );
      value.run(linkedIn.id, personId, PERSON.linkedIn, null);
      value.run(newsletter.id, personId, null, 1);
      value.run(linkedIn.id, otherPersonId, "https://linkedin.example/in/grace", null);
      const stage = s
        .statement("SELECT id, pipeline_id AS pipelineId FROM stages WHERE name = 'Lead'")
        .get() as {
        id: number;
        pipelineId: number;
      };
      const deal = s
        .statement(
          `INSERT INTO deals (title, amount_cents, currency, pipeline_id, stage_id, status, stage_entered_at, created_at, updated_at)
           VALUES ('Harbour renewal', 125000, 'USD', ?, ?, 'open', ?, ?, ?) RETURNING id`,
        )
        .get(stage.pipelineId, stage.id, now, now, now) as { id: number };
      const onDeal = s.statement("INSERT INTO deal_contacts (deal_id, contact_id) VALUES (?, ?)");
      onDeal.run(deal.id, personId);
      onDeal.run(deal.id, otherPersonId);
      return deal.id;
    }),
  );

  // Secrets that no download may contain: an invitation link (sessions and an API key exist already).
  await owner.get("/t/acme/settings/users");
  const invited = await owner.post("/t/acme/settings/invitations", { email: INVITED, role: "member" });
  expect(invited.status).toBe(201);
  invitationToken = /\/t\/acme\/invites\/([\w-]+)/.exec(invited.text)?.[1] as string;
  expect(invitationToken.length).toBeGreaterThanOrEqual(40);
});

/**
 * Everything that grants access to the workspace, as the live file stores it (session ids are
 * SHA-256 hashes, CSRF tokens plain, API keys a hash and a prefix, invitations a hash) and as the
 * people holding it know it (session cookies, the API key, the invitation link's token).
 */
async function accessSecrets(): Promise<{ stored: string[]; held: string[] }> {
  const stored = await useShard("acme", (s) =>
    [
      ...s.statement("SELECT id, csrf_token FROM sessions").values(),
      ...s.statement("SELECT key_hash, prefix FROM api_keys").values(),
      ...s.statement("SELECT token_hash FROM invitations").values(),
    ]
      .flat()
      .map(String),
  );
  const held = [
    ...[owner, admin, member, reader].map((c) => c.cookie("crm_session") as string),
    acmeKey,
    invitationToken,
  ];
  return { stored, held };
}

/** Which of `needles` occur in `bytes`. */
const foundIn = (bytes: Uint8Array, needles: string[]) =>
  needles.filter((needle) => Buffer.from(bytes).includes(needle));

afterAll(async () => {
  await server.stop();
  data.close();
  dir.remove();
  serverTmp.remove();
});

describe("the Data & privacy page", () => {
  it("shows the workspace downloads to owners only", async () => {
    const forOwner = await owner.get("/t/acme/privacy");
    expect(forOwner.status).toBe(200);
    expect(forOwner.text).toContain("Data &amp; privacy");
    expect(forOwner.text).toContain('<form method="post" action="/t/acme/privacy/workspace.sqlite"');
    expect(forOwner.text).toContain('<form method="post" action="/t/acme/privacy/workspace.zip"');
    for (const client of [admin, member, reader]) {
      const page = await client.get("/t/acme/privacy");
      expect(page.status).toBe(200);
      expect(page.text).not.toContain("workspace.sqlite");
      expect(page.text).toContain("Only owners");
    }
  });

  it("sends visitors who are not signed in to the login page", async () => {
    const response = await fetch(`${server.url}/t/acme/privacy/workspace.zip`, { redirect: "manual" });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toStartWith("/t/acme/login");
  });
});

describe("a person's data export", () => {
  it("is a ZIP of person.json and CSVs of their interactions, notes, tasks and deals", async () => {
    const response = await download(admin, `/t/acme/privacy/contacts/${personId}/export`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/zip");
    expect(response.headers.get("content-disposition")).toMatch(
      new RegExp(`^attachment; filename="contact-${personId}-\\d{4}-\\d{2}-\\d{2}\\.zip"$`),
    );
    const files = unzipSync(response.bytes);
    expect(Object.keys(files).sort()).toEqual([
      "deals.csv",
      "engagement.csv",
      "events.csv",
      "interactions.csv",
      "notes.csv",
      "person.json",
      "tasks.csv",
    ]);

    const person = JSON.parse(new TextDecoder().decode(files["person.json"]));
    expect(person).toMatchObject({
      id: personId,
      firstName: PERSON.firstName,
      lastName: PERSON.lastName,
      email: PERSON.email,
      phone: PERSON.phone,
      title: "Head buyer",
      tags: ["lead", "vip"],
      companyName: "Blue Harbour Ltd",
      ownerName: "admin",
      ownerId: ids["admin@acme.test"],
    });
    expect(person.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(person.customFields).toEqual([
      { key: "linkedin", label: "LinkedIn", type: "text", value: PERSON.linkedIn },
      { key: "newsletter", label: "Newsletter", type: "checkbox", value: true },
    ]);

    const interactions = csvObjects(files["interactions.csv"]);
    expect(interactions.map((i) => i.kind)).toEqual([
      "contact.created",
      "contact.updated",
      "contact.updated",
      "call",
      "task.completed",
    ]);
    expect(interactions.every((i) => i.subject_id === String(personId))).toBe(true);
    expect(JSON.parse(interactions[3]?.payload ?? "")).toEqual({ summary: `Called ${PERSON.email}` });

    const notes = csvObjects(files["notes.csv"]);
    expect(notes.map((n) => n.body)).toEqual([
      `Met ${PERSON.firstName} ${PERSON.lastName} at the fair`,
      // A formula is shown as text by spreadsheets, never run.
      `'=HYPERLINK("https://evil.example","${PERSON.email}")`,
    ]);
    expect(csvObjects(files["tasks.csv"]).map((t) => t.title)).toEqual([`Call ${PERSON.lastName} back`]);
    const deals = csvObjects(files["deals.csv"]);
    expect(deals).toHaveLength(1);
    expect(deals[0]).toMatchObject({
      id: String(dealId),
      title: "Harbour renewal",
      amount_cents: "125000",
      stage_name: "Lead",
      pipeline_name: "Sales",
    });
  });

  it("is open to owners too", async () => {
    const response = await download(owner, `/t/acme/privacy/contacts/${personId}/export`);
    expect(response.status).toBe(200);
    expect(Object.keys(unzipSync(response.bytes))).toContain("person.json");
  });
});

describe("permissions", () => {
  it("a member or read-only user gets 403 on export, erasure and workspace downloads, and nothing changes", async () => {
    const before = await liveCounts();
    for (const client of [member, reader]) {
      for (const path of [
        `/t/acme/privacy/contacts/${personId}/export`,
        `/t/acme/privacy/contacts/${personId}/erasure`,
        "/t/acme/privacy/workspace.sqlite",
        "/t/acme/privacy/workspace.zip",
      ]) {
        const response = await download(client, path);
        expect({ path, status: response.status }).toEqual({ path, status: 403 });
      }
      await client.get("/t/acme/privacy");
      const erase = await client.post(`/t/acme/privacy/contacts/${personId}/erasure`, {});
      expect(erase.status).toBe(403);
      for (const path of ["/t/acme/privacy/workspace.sqlite", "/t/acme/privacy/workspace.zip"]) {
        await client.get("/t/acme/privacy");
        expect({ path, status: (await client.post(path, {})).status }).toEqual({ path, status: 403 });
      }
    }
    expect(await liveCounts()).toEqual(before);
    expect((await acme("GET", `/t/acme/contacts/${personId}`)).json.email).toBe(PERSON.email);
    expect(readdirSync(serverTmp.path)).toEqual([]);
    expect(waitingDownloads()).toEqual([]);
    // Nothing was started on their behalf either.
    const tasks = await useShard("acme", (s) => countRows(s, "background_tasks"));
    expect(tasks).toBe(0);
  });

  it("an admin gets 403 on the workspace downloads", async () => {
    for (const path of ["/t/acme/privacy/workspace.sqlite", "/t/acme/privacy/workspace.zip"]) {
      expect((await download(admin, path)).status).toBe(403);
      await admin.get("/t/acme/privacy");
      expect((await admin.post(path, {})).status).toBe(403);
    }
    expect(readdirSync(serverTmp.path)).toEqual([]);
    expect(waitingDownloads()).toEqual([]);
  });

  it("a prepared workspace copy is fetched only by an owner: an admin who can see its task gets 403, a member 404, and it stays for its owner", async () => {
    await owner.get("/t/acme/privacy");
    const started = await owner.post("/t/acme/privacy/workspace.sqlite", {});
    const task = await waitForTask(owner, started.headers.get("location"));
    expect(task.links).toEqual([`/t/acme/downloads/${task.id}`]);
    expect(waitingDownloads()).toHaveLength(1);
    // Admins see every task's page, but the file is the owners'.
    expect((await admin.get(task.path)).status).toBe(200);
    expect((await download(admin, `/t/acme/downloads/${task.id}`)).status).toBe(403);
    expect((await download(member, `/t/acme/downloads/${task.id}`)).status).toBe(404);
    expect((await download(reader, `/t/acme/downloads/${task.id}`)).status).toBe(404);
    // Another workspace's owner is not signed in here, and their workspace has no such task.
    const outsider = await signIn(server.url, "other", "owner@other.test");
    const elsewhere = await download(outsider, `/t/acme/downloads/${task.id}`);
    expect([elsewhere.status, elsewhere.headers.get("location")]).toEqual([
      303,
      `/t/acme/login?next=${encodeURIComponent(`/t/acme/downloads/${task.id}`)}`,
    ]);
    expect((await download(outsider, `/t/other/downloads/${task.id}`)).status).toBe(404);
    expect(waitingDownloads()).toHaveLength(1);
    const fetched = await download(owner, `/t/acme/downloads/${task.id}`);
    expect(fetched.status).toBe(200);
    expect(new TextDecoder().decode(fetched.bytes.subarray(0, 15))).toBe("SQLite format 3");
    expect(waitingDownloads()).toEqual([]);
  });

  it("another workspace's contact id, or no id at all, is a 404 and touches nothing", async () => {
    for (const id of [String(foreignContactId), "abc", "0"]) {
      expect((await download(owner, `/t/acme/privacy/contacts/${id}/export`)).status).toBe(404);
      expect((await owner.get(`/t/acme/privacy/contacts/${id}/erasure`)).status).toBe(404);
      await owner.get("/t/acme/privacy");
      expect((await owner.post(`/t/acme/privacy/contacts/${id}/erasure`, {})).status).toBe(404);
    }
    const still = await useShard("other", (s) => countRows(s, "contacts"));
    expect(still).toBe(1);
  });
});

describe("the workspace as a SQLite file", () => {
  it("is a consistent copy with the same rows and no passwords, sessions, API keys or invitations", async () => {
    const response = await prepareAndDownload(owner, "/t/acme/privacy/workspace.sqlite");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/vnd.sqlite3");
    expect(response.headers.get("content-disposition")).toMatch(
      /^attachment; filename="acme-\d{4}-\d{2}-\d{2}\.sqlite"$/,
    );
    expect(new TextDecoder().decode(response.bytes.subarray(0, 15))).toBe("SQLite format 3");
    // The copy was made under the data directory (never the temp directory) and is gone once sent,
    // for good: a second request is told so.
    expect(readdirSync(serverTmp.path)).toEqual([]);
    expect(waitingDownloads()).toEqual([]);
    const again = await download(owner, response.link);
    expect(again.status).toBe(410);
    expect(new TextDecoder().decode(again.bytes)).toContain("downloaded already");

    const live = await useShard("acme", (s) => ({
      counts: businessCounts(s),
      users: countRows(s, "users"),
      secrets: ["sessions", "api_keys", "invitations"].map((t) => countRows(s, t)),
    }));
    // Otherwise the test would prove nothing.
    expect(live.secrets.every((n) => n > 0)).toBe(true);

    const path = join(dir.path, "download.sqlite");
    writeFileSync(path, response.bytes);
    const copy = new Database(path, { readonly: true });
    try {
      expect(copy.query("PRAGMA integrity_check").values()).toEqual([["ok"]]);
      const count = (table: string) =>
        (copy.query(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
      expect(Object.fromEntries(BUSINESS_TABLES.map((t) => [t, count(t)]))).toEqual(live.counts);
      expect(count("users")).toBe(live.users);
      expect(["sessions", "api_keys", "invitations"].map(count)).toEqual([0, 0, 0]);
      expect(count("users WHERE password_hash <> ''")).toBe(0);
    } finally {
      copy.close();
    }
    expect(Buffer.from(response.bytes).includes("$argon2")).toBe(false);
  });

  it("holds not a byte of a session, API key or invitation: neither as stored nor as their holders know them", async () => {
    const secrets = await accessSecrets();
    // Sessions of four users, a CSRF token each, two parts per API key, an invitation.
    expect(secrets.stored.length).toBeGreaterThanOrEqual(4 * 2 + 2 + 1);
    // The scan can see what it looks for: every stored secret is in the live file or its WAL.
    const file = tenantFile("acme");
    const live = new Uint8Array(
      Buffer.concat([
        readFileSync(file),
        existsSync(`${file}-wal`) ? readFileSync(`${file}-wal`) : Buffer.alloc(0),
      ]),
    );
    expect(foundIn(live, secrets.stored)).toEqual(secrets.stored);
    expect(foundIn(live, [INVITED])).toEqual([INVITED]);

    const response = await prepareAndDownload(owner, "/t/acme/privacy/workspace.sqlite");
    expect(response.status).toBe(200);
    expect(response.bytes.length).toBeGreaterThan(100_000);
    expect(foundIn(response.bytes, [...secrets.stored, ...secrets.held, INVITED, "$argon2"])).toEqual([]);
  });
});

describe("the workspace as CSV", () => {
  it("is a ZIP of one CSV per business table, users without password hashes, and no secrets", async () => {
    const response = await prepareAndDownload(owner, "/t/acme/privacy/workspace.zip");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/zip");
    expect(waitingDownloads()).toEqual([]);
    expect(response.headers.get("content-disposition")).toMatch(
      /^attachment; filename="acme-\d{4}-\d{2}-\d{2}-csv\.zip"$/,
    );
    const files = unzipSync(response.bytes);
    expect(Object.keys(files).sort()).toEqual([...WORKSPACE_CSVS].sort());

    const users = csvObjects(files["users.csv"]);
    expect(Object.keys(users[0] ?? {})).toEqual(["id", "name", "email", "role"]);
    expect(users.map((u) => u.email).sort()).toEqual(Object.keys(ids).sort());
    const secrets = await accessSecrets();
    for (const [name, bytes] of Object.entries(files)) {
      expect({
        name,
        secrets: foundIn(bytes, [...secrets.stored, ...secrets.held, INVITED, "$argon2"]),
      }).toEqual({
        name,
        secrets: [],
      });
    }

    const live = await liveCounts();
    for (const table of BUSINESS_TABLES) {
      expect({ table, rows: csvObjects(files[`${table}.csv`]).length }).toEqual({ table, rows: live[table] });
    }
    const person = csvObjects(files["contacts.csv"]).find((c) => c.id === String(personId));
    expect(person).toMatchObject({ first_name: PERSON.firstName, email: PERSON.email });
    const notes = csvObjects(files["notes.csv"]).map((n) => n.body);
    expect(notes).toContain(`'=HYPERLINK("https://evil.example","${PERSON.email}")`);
  });
});

describe("erasure", () => {
  it("asks first, naming the person and what goes with them", async () => {
    const page = await admin.get(`/t/acme/privacy/contacts/${personId}/erasure`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`Erase ${PERSON.firstName} ${PERSON.lastName}?`);
    expect(page.text).toContain("2 notes");
    expect(page.text).toContain("1 task");
    expect(page.text).toContain('name="_csrf"');
  });

  it("leaves no trace of the person in the workspace's file or its WAL, and the rest intact", async () => {
    // The scan finds the person before: it can see what it looks for.
    await useShard("acme", (s) => s.statement("PRAGMA wal_checkpoint(PASSIVE)").run());
    const file = tenantFile("acme");
    expect(
      [...occurrences(file, "quorvenkle"), ...occurrences(`${file}-wal`, "quorvenkle")].length,
    ).toBeGreaterThan(0);
    const before = await liveCounts();

    await admin.get(`/t/acme/privacy/contacts/${personId}/erasure`);
    const response = await admin.post(`/t/acme/privacy/contacts/${personId}/erasure`, {});
    expect(response.status).toBe(303);
    // It runs in the background: its page shows the steps, then the outcome and the way back.
    const task = await waitForTask(admin, response.headers.get("location"));
    expect(task.status).toBe("Done.");
    expect(task.links).toEqual(["/t/acme/contacts"]);
    expect(task.text).toContain("nothing of them is left in it");

    for (const path of [file, `${file}-wal`]) {
      for (const trace of TRACES) {
        expect({ path, trace, found: occurrences(path, trace) }).toEqual({ path, trace, found: [] });
      }
    }

    expect((await admin.get(`/t/acme/contacts/${personId}`)).status).toBe(404);
    const after = await useShard("acme", (s) => ({
      integrity: s.statement("PRAGMA integrity_check").values(),
      counts: businessCounts(s),
      log: s
        .statement(
          "SELECT kind, payload, actor_type AS actorType, actor_id AS actorId FROM interactions WHERE subject_type = 'contact' AND subject_id = ? ORDER BY id",
        )
        .all(personId) as { kind: string; payload: string; actorType: string; actorId: number }[],
      taskLog: s.statement("SELECT payload FROM interactions WHERE kind = 'task.completed'").values(),
      customValues: s.statement("SELECT count(*) FROM custom_values WHERE record_id = ?").values(personId),
      dealPeople: s.statement("SELECT contact_id FROM deal_contacts WHERE deal_id = ?").values(dealId),
      scrubbed: s
        .statement(
          "SELECT kind, payload FROM interactions WHERE json_extract(payload, '$.fields') IS NOT NULL",
        )
        .values(),
    }));
    expect(after.integrity).toEqual([["ok"]]);
    expect(after.counts).toEqual({
      ...before,
      contacts: before.contacts - 1,
      notes: before.notes - 2,
      tasks: before.tasks - 1,
      // contact.erased, and an update naming the field (no value) for each other record whose
      // text quoted them: a copy kept in step learns those changed too.
      interactions: before.interactions + 1 + after.scrubbed.length,
    });
    expect(after.scrubbed.length).toBeGreaterThan(0);
    for (const [kind, payload] of after.scrubbed) {
      expect(String(kind)).toMatch(/^(deal|company|contact|note)\.updated$/);
      expect(String(payload)).not.toMatch(/quorvenkle/i);
    }
    expect(after.log.map((i) => i.kind)).toEqual([
      "contact.created",
      "contact.updated",
      "contact.updated",
      "call",
      "task.completed",
      "contact.erased",
    ]);
    expect(after.log.every((i) => i.payload === "{}")).toBe(true);
    expect(after.log.at(-1)).toMatchObject({ actorType: "user", actorId: ids["admin@acme.test"] });
    expect(after.taskLog).toEqual([["{}"], ["{}"]]);
    expect(after.customValues).toEqual([[0]]);
    expect(after.dealPeople).toEqual([[otherPersonId]]);

    // Everyone else is as they were, and search still works.
    const grace = await acme("GET", `/t/acme/contacts/${otherPersonId}`);
    expect(grace.json).toMatchObject({ firstName: "Grace", email: "grace@navy.example" });
    expect(
      (await acme("GET", "/t/acme/contacts?q=grace")).json.data.map((c: { id: number }) => c.id),
    ).toEqual([otherPersonId]);
    expect((await acme("GET", "/t/acme/contacts?q=quorvenkle")).json.data).toEqual([]);
    expect((await acme("GET", "/t/acme/contacts?q=person149")).json.data).toHaveLength(1);
    // Records quoting the person stay, with the quote replaced.
    expect((await acme("GET", `/t/acme/deals/${mentionDealId}`)).json.title).toBe("[erased]");
    const quoted = await useShard("acme", (s) =>
      s.statement("SELECT body FROM notes WHERE subject_type = 'company'").values(),
    );
    expect(quoted).toContainEqual(["Renewal: write to [erased] before May"]);
    const notesLeft = await useShard("acme", (s) =>
      s.statement("SELECT body FROM notes WHERE subject_id = ?").values(otherPersonId),
    );
    expect(notesLeft).toEqual([["Grace prefers email"]]);
  });

  it("answers an htmx request with HX-Redirect instead of a redirect", async () => {
    await admin.get(`/t/acme/privacy/contacts/${otherPersonId}/erasure`);
    const response = await admin.htmx("POST", `/t/acme/privacy/contacts/${otherPersonId}/erasure`, {});
    expect(response.status).toBe(200);
    const task = await waitForTask(admin, response.headers.get("hx-redirect"));
    expect(task.status).toBe("Done.");
    expect((await acme("GET", `/t/acme/contacts/${otherPersonId}`)).status).toBe(404);
  });

  it("of someone already erased is a 404", async () => {
    await admin.get("/t/acme/privacy");
    expect((await admin.post(`/t/acme/privacy/contacts/${personId}/erasure`, {})).status).toBe(404);
  });
});

describe("the server log", () => {
  it("has one line per export, erasure and workspace download, naming the user by id, and no personal data or secrets anywhere", async () => {
    // The last audited action of this file is the htmx erasure of the other person.
    await server.waitForLine((l) => l.msg === "person erased" && l.contactId === otherPersonId);
    const lines = server.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const audit = lines.filter((l) =>
      ["person exported", "person erased", "workspace downloaded"].includes(String(l.msg)),
    );
    const admin = ids["admin@acme.test"];
    const owner = ids["owner@acme.test"];
    // Refused attempts (403s, 404s, an erasure of someone already erased) wrote nothing.
    expect(audit.map((l) => [l.msg, l.userId, l.contactId ?? l.format])).toEqual([
      ["person exported", admin, personId],
      ["person exported", owner, personId],
      ["workspace downloaded", owner, "sqlite"],
      ["workspace downloaded", owner, "sqlite"],
      ["workspace downloaded", owner, "sqlite"],
      ["workspace downloaded", owner, "csv"],
      ["person erased", admin, personId],
      ["person erased", admin, otherPersonId],
    ]);
    // Only these fields: ids, counts and flags, never a name, an email or a path.
    const shapes = audit.map((l) => [l.msg, Object.keys(l).sort().join(",")]);
    const base = "level,msg,requestId,tenant,time,userId";
    expect(shapes).toEqual([
      ["person exported", `contactId,${base}`],
      ["person exported", `contactId,${base}`],
      ["workspace downloaded", `bytes,format,${base}`],
      ["workspace downloaded", `bytes,format,${base}`],
      ["workspace downloaded", `bytes,format,${base}`],
      ["workspace downloaded", `bytes,format,${base}`],
      ["person erased", `compacted,contactId,${base},walTruncated`],
      ["person erased", `compacted,contactId,${base},walTruncated`],
    ]);
    for (const line of audit) {
      expect(line).toMatchObject({ level: "info", tenant: "acme" });
      expect(String(line.requestId)).toMatch(/^[0-9a-f-]{36}$/);
    }

    const secrets = await accessSecrets();
    const personal = [
      ...TRACES,
      PERSON.email,
      PERSON.phone,
      PERSON.firstName,
      "Grace",
      "Hopper",
      "grace@navy.example",
      INVITED,
      "owner@acme.test",
      "admin@acme.test",
    ];
    const log = server.lines.join("\n");
    expect(server.lines.length).toBeGreaterThan(audit.length);
    expect(
      [...personal, ...secrets.stored, ...secrets.held].filter((needle) => log.includes(needle)),
    ).toEqual([]);
  });
});
