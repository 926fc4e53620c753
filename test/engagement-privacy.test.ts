import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { unzipSync } from "fflate";
import type { Shard } from "../src/tenancy/shard.ts";
import { waitForTask } from "./support/background-task.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

/**
 * A person's pushed events and engagement are in their export and the workspace's CSV, go with
 * them when they are erased (and quotes of them in others' events are replaced), and outlive a
 * contact deleted the ordinary way, whose engagement alone goes.
 */
const SLUG = "engagement-privacy";
const T = `/t/${SLUG}`;
/** The person to erase: words that occur nowhere else, so a byte scan finds any trace. */
const PERSON = { firstName: "Ilse", lastName: "Vorquantle", email: "ilse.vq@vorquantle.example" };
const TRACES = ["Vorquantle", "vorquantle", "ilse.vq", "secret-page-7731"];
const dir = tempDir();
let data: DataDir;
let server: TestServer;
let member: ReturnType<typeof api>;
let owner: BrowserClient;

const useShard = <R>(fn: (shard: Shard) => R) => data.shards.use(data.get(SLUG), fn);
const rows = (sql: string, ...params: number[]) =>
  useShard((s) => s.statement(sql).values(...params)) as Promise<unknown[][]>;

/** A download as bytes, with the session's cookie. */
async function download(path: string) {
  const response = await fetch(server.url + path, {
    redirect: "manual",
    headers: { cookie: `crm_session=${owner.cookie("crm_session")}` },
  });
  return { status: response.status, bytes: new Uint8Array(await response.arrayBuffer()) };
}

/** The workspace's CSV zip as an owner gets it: started on the privacy page, fetched from its task's link. */
async function workspaceCsv(): Promise<Record<string, string>> {
  await owner.get(`${T}/privacy`);
  const started = await owner.post(`${T}/privacy/workspace.zip`, {});
  expect(started.status).toBe(303);
  const task = await waitForTask(owner, started.headers.get("location"));
  expect(task.status).toBe("Done.");
  const file = await download(task.links[0] as string);
  expect(file.status).toBe(200);
  return texts(file.bytes);
}

const texts = (zip: Uint8Array) =>
  Object.fromEntries(
    Object.entries(unzipSync(zip)).map(([name, bytes]) => [name, new TextDecoder().decode(bytes)]),
  );

/** The data lines of a CSV whose fields hold no line breaks. */
const lines = (csv: string | undefined) => (csv ?? "").split("\r\n").slice(1, -1);

function occurrences(file: string, needle: string): number {
  if (!existsSync(file)) return 0;
  const bytes = readFileSync(file);
  let n = 0;
  for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) n++;
  return n;
}

let personId: number;
let graceId: number;
let benId: number;

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant(SLUG);
  server = await startServer({ dataDir: dir.path });
  member = api(server.url, await data.apiKey(SLUG, "member"));
  const create = async (body: object) => {
    const created = await member("POST", `${T}/contacts`, body);
    expect(created.status).toBe(201);
    return created.json.id as number;
  };
  personId = await create(PERSON);
  graceId = await create({ firstName: "Grace", email: "grace@navy.example" });
  benId = await create({ firstName: "Ben", email: "ben@navy.example" });
  const pushed = await member("POST", `${T}/events`, [
    {
      type: "web.visit",
      email: PERSON.email,
      url: "https://shop.example/secret-page-7731",
      title: "Private page",
    },
    { type: "web.visit", contactId: personId, url: "https://shop.example/pricing" },
    { type: "email.opened", contactId: personId, campaign: '=HYPERLINK("https://evil.example")' },
    // Someone else's form quoting the person: the quote goes, the event stays.
    {
      type: "form.submitted",
      contactId: graceId,
      form: `Referral from ${PERSON.firstName} ${PERSON.lastName}`,
    },
    { type: "web.visit", contactId: graceId, title: `Shared by ${PERSON.email}` },
    { type: "web.visit", contactId: benId, title: "Ben's visit" },
  ]);
  expect(pushed.json).toEqual({ stored: 6, rejected: [] });
  owner = await signIn(server.url, SLUG, `owner@${SLUG}.test`);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  data?.close();
  dir.remove();
});

describe("a person's pushed events", () => {
  it("are in their export: events.csv and engagement.csv, theirs alone", async () => {
    const response = await download(`${T}/privacy/contacts/${personId}/export`);
    expect(response.status).toBe(200);
    const files = texts(response.bytes);
    const events = lines(files["events.csv"]);
    expect(files["events.csv"]?.split("\r\n")[0]).toBe(
      "id,occurred_at,actor_type,actor_id,kind,contact_id,payload",
    );
    expect(events).toHaveLength(3);
    expect(events.every((line) => line.split(",")[5] === String(personId))).toBe(true);
    expect(events.map((line) => line.split(",")[4])).toEqual(["web.visit", "web.visit", "email.opened"]);
    expect(files["events.csv"]).toContain("secret-page-7731");
    const engagement = lines(files["engagement.csv"]).map((line) => line.split(",").slice(0, 3));
    expect(engagement).toEqual([
      [String(personId), "email.opened", "1"],
      [String(personId), "web.visit", "2"],
    ]);
  }, 60_000);

  it("of a deleted contact stay in the log, and its engagement goes", async () => {
    expect((await member("DELETE", `${T}/contacts/${benId}`)).status).toBe(204);
    expect(await rows("SELECT kind FROM events WHERE contact_id = ?", benId)).toEqual([["web.visit"]]);
    expect(await rows("SELECT kind FROM contact_engagement WHERE contact_id = ?", benId)).toEqual([]);
  }, 60_000);

  it("go when the person is erased, with their engagement and every quote of them; the workspace's CSV no longer has them", async () => {
    const before = await workspaceCsv();
    expect(lines(before["events.csv"])).toHaveLength(6);
    expect(before["events.csv"]).toContain("secret-page-7731");

    await owner.get(`${T}/privacy/contacts/${personId}/erasure`);
    const started = await owner.post(`${T}/privacy/contacts/${personId}/erasure`, {});
    expect(started.status).toBe(303);
    const task = await waitForTask(owner, started.headers.get("location"));
    expect(task.status).toBe("Done.");
    expect(task.text).toContain("pushed events");
    expect(task.text).toContain("2 pushed events");

    expect(await rows("SELECT id FROM events WHERE contact_id = ?", personId)).toEqual([]);
    expect(await rows("SELECT kind FROM contact_engagement WHERE contact_id = ?", personId)).toEqual([]);
    expect(await rows("SELECT payload FROM events WHERE contact_id = ? ORDER BY id", graceId)).toEqual([
      [JSON.stringify({ form: "Referral from [erased]" })],
      [JSON.stringify({ title: "Shared by [erased]" })],
    ]);
    expect(
      await rows("SELECT last_payload FROM contact_engagement WHERE contact_id = ? ORDER BY kind", graceId),
    ).toEqual([
      [JSON.stringify({ form: "Referral from [erased]" })],
      [JSON.stringify({ title: "Shared by [erased]" })],
    ]);
    const file = join(dir.path, data.get(SLUG).file);
    for (const path of [file, `${file}-wal`]) {
      for (const trace of TRACES)
        expect({ path, trace, found: occurrences(path, trace) }).toEqual({ path, trace, found: 0 });
    }

    expect((await download(`${T}/privacy/contacts/${personId}/export`)).status).toBe(404);
    const after = await workspaceCsv();
    expect(lines(after["events.csv"])).toHaveLength(3);
    for (const [name, text] of Object.entries(after)) {
      for (const trace of TRACES)
        expect({ name, trace, found: text.includes(trace) }).toEqual({ name, trace, found: false });
    }
  }, 120_000);
});
