import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { RecordType } from "../src/core/record-types.ts";
import { listFields } from "../src/custom-fields/field-definitions.ts";
import { parseCustomValues, writeCustomValues } from "../src/custom-fields/field-values.ts";
import { createField } from "../src/custom-fields/manage-fields.ts";
import { SYSTEM_ACTOR } from "../src/identity/viewer.ts";
import { createPipeline } from "../src/pipelines/manage-pipelines.ts";
import { seedTenant } from "../src/seed/seed-tenant.ts";
import type { Tenant } from "../src/tenancy/catalog-schema.ts";
import type { Shard } from "../src/tenancy/shard.ts";
import { type FinishedTask, waitForTask } from "./support/background-task.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { importIdOf, upload } from "./support/import-upload.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir, signIn } from "./support/workspace.ts";

/**
 * The import round trip, over the real server: a seeded workspace's companies, contacts and
 * deals are exported with the lists' "Export CSV" (exports/<list>.csv), imported through the
 * import pages into a workspace with no records (the same users, custom fields and pipelines),
 * and every record comes back the same: its fields, tags, custom values, owner (the export
 * writes the owner's name, the import finds the user by it), company and a deal's people.
 * Phones that start with `+` come back whole (the export writes them after a `'` so that no
 * spreadsheet reads a formula; the import drops that `'`).
 */
const FROM = "rt-from";
const TO = "rt-to";
const ANCHOR = Date.UTC(2026, 0, 15);
const dir = tempDir();
let server: TestServer;
let data: DataDir;
let from: Tenant;
let to: Tenant;

const FIELDS = [
  { entity: "contact", key: "score", label: "Score", type: "number" },
  { entity: "contact", key: "met", label: "Met on", type: "date" },
  { entity: "contact", key: "vip", label: "VIP", type: "checkbox" },
  {
    entity: "contact",
    key: "topics",
    label: "Topics",
    type: "multiselect",
    options: ["AI", "Cloud", "Data"],
  },
  { entity: "company", key: "segment", label: "Segment", type: "text" },
  { entity: "deal", key: "source", label: "Lead source", type: "select", options: ["Web", "Referral"] },
] as const;

function workspaceShape(shard: Shard): void {
  for (const field of FIELDS) createField(shard, SYSTEM_ACTOR, field);
}

/** Custom values on two records in three of each kind (deterministic). */
function customValues(shard: Shard): void {
  const write = (table: string, entity: RecordType, values: (i: number) => Record<string, unknown>) => {
    const fields = listFields(shard, entity);
    const ids = (shard.statement(`SELECT id FROM ${table} ORDER BY id`).all() as { id: number }[]).map(
      (r) => r.id,
    );
    ids.forEach((id, i) => {
      if (i % 3 !== 0) writeCustomValues(shard, fields, id, parseCustomValues(fields, values(i)));
    });
  };
  write("contacts", "contact", (i) => ({
    score: i % 2 ? i * 1.5 : -i,
    met: `2025-0${(i % 9) + 1}-1${i % 10}`,
    vip: i % 4 === 1,
    topics: i % 5 === 0 ? [] : ["AI", "Data"].slice(0, (i % 2) + 1),
  }));
  write("companies", "company", (i) => ({ segment: i % 2 ? "Enterprise" : "=SUM(A1)" }));
  write("deals", "deal", (i) => ({ source: i % 2 ? "Web" : "Referral" }));
}

beforeAll(async () => {
  data = new DataDir(dir.path);
  from = await data.tenant(FROM, "owner@rt.test");
  to = await data.tenant(TO, "owner@rt.test");
  for (const slug of [FROM, TO]) {
    await data.user(slug, "zoe@rt.test", "member");
    await data.user(slug, "yann@rt.test", "member");
  }
  await data.shards.use(from, (shard) => {
    workspaceShape(shard);
    seedTenant(shard, { contacts: 240, deals: 90, seed: 3, anchorMs: ANCHOR, interactionsPerContact: 1 });
    customValues(shard);
  });
  await data.shards.use(to, (shard) => {
    workspaceShape(shard);
    createPipeline(shard, SYSTEM_ACTOR, {
      name: "Partnerships",
      stages: [
        { name: "Intro", probability: 20, kind: "open" },
        { name: "Evaluation", probability: 50, kind: "open" },
        { name: "Signed", probability: 100, kind: "won" },
        { name: "Declined", probability: 0, kind: "lost" },
      ],
    });
  });
  server = await startServer({ dataDir: dir.path });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  data?.close();
  dir.remove();
});

const CUSTOM = `(SELECT json_group_object(f.key, coalesce(v.text_value, v.num_value)) FROM custom_values v
  JOIN custom_fields f ON f.id = v.field_id WHERE f.entity = ? AND v.record_id = r.id)`;
const OWNER = "(SELECT email FROM users WHERE id = r.owner_id)";
const COMPANY = "(SELECT name FROM companies WHERE id = r.company_id)";
const TAGS = (table: string, column: string) =>
  `(SELECT group_concat(name, ',') FROM (SELECT t.name FROM ${table} x JOIN tags t ON t.id = x.tag_id WHERE x.${column} = r.id ORDER BY t.name))`;

/** Every record of each kind as a person sees it: by names, not ids, sorted. */
async function records(tenant: Tenant) {
  return data.shards.use(tenant, (shard) => {
    const all = (sql: string, entity: string) =>
      (shard.statement(sql).all(entity) as Record<string, unknown>[]).map((r) => JSON.stringify(r)).sort();
    return {
      companies: all(
        `SELECT name, domain, phone, city, country, ${OWNER} AS owner, ${TAGS("company_tags", "company_id")} AS tags, ${CUSTOM} AS custom FROM companies r`,
        "company",
      ),
      contacts: all(
        `SELECT first_name, last_name, email, phone, title, ${COMPANY} AS company, ${OWNER} AS owner, ${TAGS("contact_tags", "contact_id")} AS tags, ${CUSTOM} AS custom FROM contacts r`,
        "contact",
      ),
      deals: all(
        `SELECT title, amount_cents, currency, expected_close_on, lost_reason, ${COMPANY} AS company, ${OWNER} AS owner,
           (SELECT p.name || ' / ' || s.name FROM stages s JOIN pipelines p ON p.id = s.pipeline_id WHERE s.id = r.stage_id) AS stage,
           ${TAGS("deal_tags", "deal_id")} AS tags, ${CUSTOM} AS custom,
           (SELECT group_concat(email, ',') FROM (SELECT c.email FROM deal_contacts dc JOIN contacts c ON c.id = dc.contact_id
              WHERE dc.deal_id = r.id ORDER BY c.email)) AS people
         FROM deals r`,
        "deal",
      ),
    };
  });
}

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

/** Uploads `csv` as `kind` into TO, checks it and runs it; returns the run's summary line. */
async function importInto(client: BrowserClient, kind: string, csv: string, fileName: string) {
  const id = importIdOf(await patiently(() => upload(client, TO, csv, { kind, fileName })));
  const page = await client.get(`/t/${TO}/imports/${id}`);
  const form = client.forms(page.text).find((f) => f.action.endsWith(`/imports/${id}/mapping`));
  if (!form) throw new Error(`no mapping form:\n${page.text.slice(0, 2000)}`);
  const checked = await waitTask(
    client,
    (await patiently(() => client.submit(form))).headers.get("location"),
  );
  expect(checked.status).toBe("Done.");
  const sent = await patiently(() => client.post(`/t/${TO}/imports/${id}/run`, {}));
  if (sent.status !== 303)
    throw new Error(
      `run refused: ${sent.status} ${sent.text
        .replace(/<[^>]+>/g, " ")
        .replace(/\s+/g, " ")
        .slice(-1500)}`,
    );
  const done = await waitTask(client, sent.headers.get("location"), 90_000);
  expect(done.status).toBe("Done.");
  const result = await patiently(() => client.get(`/t/${TO}/imports/${id}`));
  const rejected = /<h3>Rejected rows<\/h3>[\s\S]*?<\/table>/.exec(result.text)?.[0];
  expect(rejected?.replace(/<[^>]+>/g, " ")).toBeUndefined();
  return /<li>([^<]*created[^<]*)<\/li>/.exec(done.text)?.[1];
}

describe("export, then import into an empty workspace", () => {
  it("gives back the same companies, contacts and deals", async () => {
    const source = await records(from);
    expect(source.contacts.length).toBe(240);
    expect(source.deals.length).toBe(90);
    expect(source.contacts.some((c) => c.includes('"phone":"+'))).toBe(true);
    expect(source.companies.some((c) => c.includes("=SUM(A1)"))).toBe(true);
    const empty = await records(to);
    expect([empty.companies, empty.contacts, empty.deals]).toEqual([[], [], []]);

    const reader = await signIn(server.url, FROM, "owner@rt.test");
    const exported: Record<string, string> = {};
    for (const list of ["companies", "contacts", "deals"]) {
      const response = await reader.get(`/t/${FROM}/exports/${list}.csv`);
      expect(response.status).toBe(200);
      exported[list] = response.text;
    }
    expect(exported.contacts).toContain(",'+");

    const owner = await signIn(server.url, TO, "owner@rt.test");
    const companies = source.companies.length;
    expect(await importInto(owner, "company", exported.companies ?? "", "companies.csv")).toBe(
      `${companies} created, 0 updated, 0 skipped, 0 rejected, of ${companies} rows.`,
    );
    expect(await importInto(owner, "contact", exported.contacts ?? "", "contacts.csv")).toBe(
      "240 created, 0 updated, 0 skipped, 0 rejected, of 240 rows.",
    );
    expect(await importInto(owner, "deal", exported.deals ?? "", "deals.csv")).toBe(
      "90 created, 0 updated, 0 skipped, 0 rejected, of 90 rows.",
    );
    const copy = await records(to);
    expect(copy.companies).toEqual(source.companies);
    expect(copy.contacts).toEqual(source.contacts);
    expect(copy.deals).toEqual(source.deals);
  }, 180_000);
});
