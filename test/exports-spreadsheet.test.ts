import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { unzipSync } from "fflate";
import { waitForTask } from "./support/background-task.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { readCsv as readCsvIn } from "./support/read-csv.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

/**
 * Issue 11, item 9: the list exports and the workspace download read well in a spreadsheet.
 * Times are ISO 8601 in the workspace's time zone (Settings → Workspace), with their offset,
 * the zone named in the header; a linked record's name sits beside its id (company, owner,
 * pipeline, stage); custom fields are columns of their own, by label, in the fields' order.
 * Each file is read back by DuckDB's CSV reader (a parser that is not ours), and values with
 * commas, quotes, line breaks and formulas come back whole, formulas neutralised with `'`.
 */
const T = "sheets";
const ZONE = "America/New_York";
const OWNER = `owner@${T}.test`;
const dir = tempDir("crm-exports-sheet-");
let data: DataDir;
let server: TestServer;
let owner: BrowserClient;
let ownerId = 0;
let ownerName = "";
let companyId = 0;
let contactId = 0;
let dealId = 0;
let pipelineId = 0;
let stageId = 0;

/** Hostile values: each must come back exactly (a formula with its leading `'`). */
const COMPANY = 'Acme, "Tools"; and Dies';
const LAST = 'O\'Neil, "Jr"';
/** Custom text keeps line breaks: a comma, quotes and a line break, starting like a formula. */
const CHANNEL = '-1 referral,\n"web"';
const FORMULA = "=cmd|' /C calc'!A0";
const SOURCE = "+SUM(A1:A9)";
/** 12:00 UTC in July (EDT, UTC−4) and in January (EST, UTC−5). */
const SUMMER = Date.UTC(2026, 6, 1, 12, 0, 0);
const WINTER = Date.UTC(2026, 0, 15, 12, 30, 5);

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant(T, OWNER);
  await data.shards.use(data.get(T), (shard) => {
    shard.statement("INSERT INTO workspace_settings (key, value) VALUES ('time_zone', ?)").run(ZONE);
    const row = shard.statement("SELECT id, name FROM users WHERE email = ?").get(OWNER) as {
      id: number;
      name: string;
    };
    ownerId = row.id;
    ownerName = row.name;
  });
  const key = await data.apiKey(T, "owner");
  server = await startServer({ dataDir: dir.path });
  const call = api(server.url, key);
  // Created in this order, so the columns follow it: Lead source, Score, Renewal, Interests, VIP.
  for (const field of [
    { entity: "contact", key: "lead_source", label: "Lead source", type: "text" },
    { entity: "contact", key: "score", label: "Score", type: "number" },
    { entity: "contact", key: "renewal", label: "Renewal", type: "date" },
    {
      entity: "contact",
      key: "interests",
      label: "Interests",
      type: "multiselect",
      options: ["Pumps", "Valves"],
    },
    { entity: "contact", key: "vip", label: "VIP", type: "checkbox" },
    { entity: "company", key: "tier", label: "Tier", type: "select", options: ["Gold", "Silver"] },
    { entity: "deal", key: "channel", label: "Channel", type: "text" },
  ])
    expect((await call("POST", `/t/${T}/custom-fields`, field)).status).toBe(201);
  const company = await call("POST", `/t/${T}/companies`, {
    name: COMPANY,
    domain: "acme.com",
    ownerId,
    customFields: { tier: "Gold" },
  });
  expect(company.status).toBe(201);
  companyId = company.json.id;
  const contact = await call("POST", `/t/${T}/contacts`, {
    firstName: FORMULA,
    lastName: LAST,
    email: "ada@sheets.test",
    companyId,
    ownerId,
    customFields: {
      lead_source: SOURCE,
      score: 42.5,
      renewal: "2027-01-31",
      interests: ["Pumps", "Valves"],
      vip: true,
    },
  });
  expect(contact.status).toBe(201);
  contactId = contact.json.id;
  const deal = await call("POST", `/t/${T}/deals`, {
    title: "Harbour, renewal",
    amountCents: 125_000,
    companyId,
    ownerId,
    customFields: { channel: CHANNEL },
  });
  expect(deal.status).toBe(201);
  dealId = deal.json.id;
  pipelineId = deal.json.pipelineId;
  stageId = deal.json.stageId;
  // Known instants, one in summer time and one in winter time.
  await data.shards.use(data.get(T), (shard) => {
    for (const table of ["contacts", "companies", "deals"])
      shard.statement(`UPDATE ${table} SET created_at = ?, updated_at = ?`).run(SUMMER, WINTER);
  });
  owner = await signIn(server.url, T, OWNER);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  data?.close();
  dir.remove();
});

/** Reads CSV bytes with DuckDB's CSV reader (test/support/read-csv.ts). */
const readCsv = (bytes: Uint8Array) => readCsvIn(bytes, dir.path);

async function listExport(kind: string, query = "") {
  const response = await fetch(`${server.url}/t/${T}/exports/${kind}.csv${query}`, {
    headers: { cookie: `crm_session=${owner.cookie("crm_session")}` },
  });
  expect(response.status).toBe(200);
  return new Uint8Array(await response.arrayBuffer());
}

describe("the list exports", () => {
  it("write contacts with ISO times in the workspace's zone, names beside ids and custom fields as columns", async () => {
    const bytes = await listExport("contacts", "?bom=1");
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const { header, rows } = await readCsv(bytes);
    expect(header).toEqual([
      "id",
      "first name",
      "last name",
      "email",
      "phone",
      "title",
      "company",
      "company id",
      "owner",
      "owner id",
      "tags",
      `created at (${ZONE})`,
      `updated at (${ZONE})`,
      "Lead source",
      "Score",
      "Renewal",
      "Interests",
      "VIP",
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: String(contactId),
      "first name": `'${FORMULA}`,
      "last name": LAST,
      company: COMPANY,
      "company id": String(companyId),
      owner: ownerName,
      "owner id": String(ownerId),
      [`created at (${ZONE})`]: "2026-07-01T08:00:00-04:00",
      [`updated at (${ZONE})`]: "2026-01-15T07:30:05-05:00",
      "Lead source": `'${SOURCE}`,
      Score: "42.5",
      Renewal: "2027-01-31",
      Interests: "Pumps, Valves",
      VIP: "true",
    });
    // The instant is exact: parsed back, it is the stored one.
    expect(Date.parse(rows[0]?.[`created at (${ZONE})`] ?? "")).toBe(SUMMER);
  });

  it("write companies and deals the same way: owner, company, pipeline and stage names beside their ids", async () => {
    const companies = await readCsv(await listExport("companies"));
    expect(companies.rows[0]).toMatchObject({
      id: String(companyId),
      name: COMPANY,
      owner: ownerName,
      "owner id": String(ownerId),
      [`created at (${ZONE})`]: "2026-07-01T08:00:00-04:00",
      Tier: "Gold",
    });
    const deals = await readCsv(await listExport("deals"));
    expect(deals.header.slice(4, 8)).toEqual(["pipeline", "pipeline id", "stage", "stage id"]);
    expect(deals.rows[0]).toMatchObject({
      id: String(dealId),
      title: "Harbour, renewal",
      amount: "1250.00",
      pipeline: "Sales",
      "pipeline id": String(pipelineId),
      stage: "Lead",
      "stage id": String(stageId),
      company: COMPANY,
      "company id": String(companyId),
      owner: ownerName,
      "owner id": String(ownerId),
      [`closed at (${ZONE})`]: "",
      [`updated at (${ZONE})`]: "2026-01-15T07:30:05-05:00",
      Channel: `'${CHANNEL}`,
    });
  });
});

describe("the workspace download", () => {
  it("holds contacts, companies and deals with ISO times, names beside ids and custom fields as columns", async () => {
    await owner.get(`/t/${T}/privacy`);
    const started = await owner.post(`/t/${T}/privacy/workspace.zip`, {});
    expect(started.status).toBe(303);
    const task = await waitForTask(owner, started.headers.get("location"));
    expect(task.status).toBe("Done.");
    const response = await fetch(server.url + (task.links[0] as string), {
      headers: { cookie: `crm_session=${owner.cookie("crm_session")}` },
    });
    expect(response.status).toBe(200);
    const files = unzipSync(new Uint8Array(await response.arrayBuffer()));

    const contacts = await readCsv(files["contacts.csv"] as Uint8Array);
    expect(contacts.header).toEqual(
      expect.arrayContaining([
        "company_id",
        "company_name",
        "owner_id",
        "owner_name",
        `created_at (${ZONE})`,
        `updated_at (${ZONE})`,
      ]),
    );
    // A name right after its id; custom fields last, by label, in the fields' order.
    expect(contacts.header[contacts.header.indexOf("company_id") + 1]).toBe("company_name");
    expect(contacts.header[contacts.header.indexOf("owner_id") + 1]).toBe("owner_name");
    expect(contacts.header.slice(-5)).toEqual(["Lead source", "Score", "Renewal", "Interests", "VIP"]);
    expect(contacts.rows[0]).toMatchObject({
      id: String(contactId),
      first_name: `'${FORMULA}`,
      last_name: LAST,
      company_id: String(companyId),
      company_name: COMPANY,
      owner_name: ownerName,
      [`created_at (${ZONE})`]: "2026-07-01T08:00:00-04:00",
      [`updated_at (${ZONE})`]: "2026-01-15T07:30:05-05:00",
      "Lead source": `'${SOURCE}`,
      Score: "42.5",
      Renewal: "2027-01-31",
      Interests: "Pumps, Valves",
      VIP: "true",
    });

    const companies = await readCsv(files["companies.csv"] as Uint8Array);
    expect(companies.rows[0]).toMatchObject({ name: COMPANY, owner_name: ownerName, Tier: "Gold" });

    const deals = await readCsv(files["deals.csv"] as Uint8Array);
    expect(deals.rows[0]).toMatchObject({
      title: "Harbour, renewal",
      pipeline_id: String(pipelineId),
      pipeline_name: "Sales",
      stage_id: String(stageId),
      stage_name: "Lead",
      company_name: COMPANY,
      owner_name: ownerName,
      [`created_at (${ZONE})`]: "2026-07-01T08:00:00-04:00",
      Channel: `'${CHANNEL}`,
    });

    // The other tables' times too (a log entry's), in the same zone with its offset.
    const interactions = await readCsv(files["interactions.csv"] as Uint8Array);
    const occurred = interactions.rows[0]?.[`occurred_at (${ZONE})`] ?? "";
    expect(occurred).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-0[45]:00$/);
  });
});
