import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { join } from "node:path";
import { crm, interactionsGlob, query } from "./analytics-export.fixture.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir } from "./support/workspace.ts";

/**
 * Events pushed through the API (stored in `events`, ids from the interaction log's sequence)
 * reach the warehouse exactly once across two exports, with interactions made between them: the
 * export reads the two tables as one log, and its watermark covers both.
 */
const SLUG = "export-events";
const dir = tempDir("crm-export-events-");
const warehouse = join(dir.path, "warehouse");
let data: DataDir;
let server: TestServer;
let call: ReturnType<typeof api>;
let tenantId: string;
let file: string;
const people: number[] = [];

beforeAll(async () => {
  data = new DataDir(dir.path);
  const tenant = await data.tenant(SLUG);
  tenantId = tenant.id;
  file = join(dir.path, tenant.file);
  server = await startServer({ dataDir: dir.path });
  call = api(server.url, await data.apiKey(SLUG, "member"));
  for (const name of ["ada", "bob", "cy"]) people.push(await newContact(name));
}, 60_000);

afterAll(async () => {
  await server?.stop();
  data?.close();
  dir.remove();
});

async function newContact(name: string): Promise<number> {
  const created = await call("POST", `/t/${SLUG}/contacts`, {
    firstName: name,
    email: `${name}@example.com`,
  });
  expect(created.status).toBe(201);
  return created.json.id;
}

/** Pushes `n` events (by id and by email, in turn) about the contacts so far; returns how many were stored. */
async function pushEvents(n: number, tag: string): Promise<number> {
  const at = Date.now() - 60_000;
  const batch = Array.from({ length: n }, (_, i) => {
    const person = i % people.length;
    return {
      type: i % 2 ? "email.opened" : "web.visit",
      ...(i % 3
        ? { contactId: people[person] }
        : { email: `${["ada", "bob", "cy", "dee"][person]}@example.com` }),
      occurredAt: at - i * 1000,
      url: `https://shop.example/${tag}/${i}`,
    };
  });
  const answer = await call("POST", `/t/${SLUG}/events`, batch, { "idempotency-key": `export-${tag}` });
  expect(answer.status).toBe(200);
  expect(answer.json.rejected).toEqual([]);
  return answer.json.stored;
}

async function exportOk(): Promise<string> {
  const result = await crm(dir.path, ["analytics", "export"]);
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
  return result.stdout;
}

/** The log as the file holds it: interactions and events, in id order, in the warehouse's columns. */
function logOnFile(): { id: string; kind: string; subject_type: string; subject_id: string }[] {
  const db = new Database(file, { readonly: true });
  try {
    return (
      db
        .query(
          `SELECT id, kind, subject_type, subject_id FROM interactions
           UNION ALL SELECT id, kind, 'contact', contact_id FROM events ORDER BY id`,
        )
        .all() as { id: number; kind: string; subject_type: string; subject_id: number }[]
    ).map((r) => ({ ...r, id: String(r.id), subject_id: String(r.subject_id) }));
  } finally {
    db.close();
  }
}

const eventCount = () => {
  const db = new Database(file, { readonly: true });
  try {
    return (db.query("SELECT count(*) AS n FROM events").get() as { n: number }).n;
  } finally {
    db.close();
  }
};

async function inWarehouse() {
  return (await query(
    `SELECT id, kind, subject_type, subject_id FROM ${interactionsGlob(warehouse)} WHERE tenant = '${tenantId}' ORDER BY id`,
  )) as { id: string; kind: string; subject_type: string; subject_id: string }[];
}

describe("events in the analytics export", () => {
  it("reach the warehouse exactly once across two exports, with interactions made between them", async () => {
    const first = await pushEvents(30, "first");
    expect(first).toBe(30);
    await exportOk();
    const afterFirst = await inWarehouse();
    expect(afterFirst).toEqual(logOnFile());
    expect(afterFirst.filter((r) => r.kind === "web.visit" || r.kind === "email.opened").length).toBe(30);

    // Interactions (a new contact's contact.created) and more events after the first export.
    people.push(await newContact("dee"));
    const second = await pushEvents(40, "second");
    expect(second).toBe(40);
    await newContact("eve");
    expect(eventCount()).toBe(70);
    const stdout = await exportOk();
    // Only what came after the watermark: 40 events and 2 interactions.
    expect(stdout).toMatch(/^exported 42 rows of 1 workspace/);

    const rows = await inWarehouse();
    const log = logOnFile();
    expect(rows).toEqual(log);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    expect(rows.filter((r) => r.kind === "web.visit" || r.kind === "email.opened").length).toBe(70);
    // Events are rows about their contact; the contact made between the batches sits between them in id order.
    const dee = rows.find((r) => r.kind === "contact.created" && r.subject_id === String(people[3]));
    const firstEventAfter = rows.findIndex(
      (r) => r.kind !== "contact.created" && Number(r.id) > Number(dee?.id),
    );
    expect(firstEventAfter).toBeGreaterThan(rows.indexOf(dee as (typeof rows)[number]));
    expect(rows.filter((r) => r.kind === "web.visit").every((r) => r.subject_type === "contact")).toBe(true);

    // A third export finds nothing new.
    expect(await exportOk()).toMatch(/^exported 0 rows/);
    expect(await inWarehouse()).toEqual(log);

    // Rebuilt from the file on demand: both tables again, each row once.
    const rebuilt = await crm(dir.path, ["analytics", "export", "--rebuild", SLUG]);
    expect({ code: rebuilt.code, stderr: rebuilt.stderr }).toEqual({ code: 0, stderr: "" });
    expect(rebuilt.stdout).toMatch(new RegExp(`^exported ${log.length} rows of 1 workspace`));
    expect(await inWarehouse()).toEqual(log);
  }, 120_000);
});
