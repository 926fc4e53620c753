import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { TenantReader } from "../jobs/export/tenant-reader.ts";
import { utcToZoned, zonedToUtc } from "../src/core/time-zone.ts";
import { Catalog } from "../src/tenancy/catalog.ts";
import { decodeEntities } from "./support/html-forms.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, PASSWORD, signIn } from "./support/workspace.ts";

/**
 * Logged calls, meetings and emails on the record page (issue 11, items 1 and 8): dated by a day
 * and a time in the viewer's zone (yesterday's call), meetings without a direction, and
 * corrected or deleted from the timeline by who logged them or an admin, in place, each change
 * logged (activity.updated / activity.deleted) and making the nightly export re-read the
 * workspace whole (ADR 0005's third rewrite). Never a system entry; never another member's.
 */
const T = "activityedit";
const OWNER = `owner@${T}.test`;
const AUTHOR = `author@${T}.test`;
const OTHER = `other@${T}.test`;
const READER = `reader@${T}.test`;
const ZONE = "Europe/Paris";
const dir = tempDir("crm-activity-edit-");
let server: TestServer;
let call: ReturnType<typeof api>;
let contactId = 0;

beforeAll(async () => {
  const data = new DataDir(dir.path);
  await data.tenant(T, OWNER);
  await data.user(T, AUTHOR, "member");
  await data.user(T, OTHER, "member");
  await data.user(T, READER, "read-only");
  const key = await data.apiKey(T, "owner");
  data.close();
  server = await startServer({ dataDir: dir.path });
  call = api(server.url, key);
  contactId = (
    await call("POST", `/t/${T}/contacts`, { firstName: "Ada", lastName: "Byron", email: "ada@example.test" })
  ).json.id;
}, 60_000);

afterAll(async () => {
  await server?.stop();
  dir.remove();
});

type Entry = {
  id: number;
  kind: string;
  occurredAt: string;
  actorName: string | null;
  payload: Record<string, unknown>;
};
const entries = async (history = false): Promise<Entry[]> =>
  (
    await call(
      "GET",
      `/t/${T}/interactions?subjectType=contact&subjectId=${contactId}${history ? "&history=true" : ""}`,
    )
  ).json.data;

async function as(email: string) {
  const client = await signIn(server.url, T, email, PASSWORD);
  client.setCookie("tz", ZONE);
  await client.get(`/t/${T}/contacts/${contactId}`);
  return client;
}

async function logCall(email: string, summary: string, day: string, time: string, kind = "call") {
  const client = await as(email);
  const logged = await client.post(`/t/${T}/activities`, {
    subjectType: "contact",
    subjectId: String(contactId),
    kind,
    direction: "inbound",
    occurredOn: day,
    occurredTime: time,
    summary,
  });
  expect(logged.status).toBe(303);
  const found = (await entries()).find((e) => e.payload.summary === summary);
  if (!found) throw new Error(`${summary} not logged`);
  return found;
}

describe("logging an activity from the record page", () => {
  it("offers a day and a time, now in the viewer's zone, and dates yesterday's call by them", async () => {
    const author = await as(AUTHOR);
    const page = await author.get(`/t/${T}/contacts/${contactId}`);
    const now = utcToZoned(Date.now(), ZONE);
    expect(page.text).toContain(`name="occurredOn" type="date" value="${now.day}"`);
    expect(page.text).toMatch(/name="occurredTime" type="time" value="\d\d:\d\d"/);
    const yesterday = utcToZoned(Date.now() - 86_400_000, ZONE).day;
    const logged = await logCall(AUTHOR, "Quoted the boiler", yesterday, "15:30");
    expect(Date.parse(logged.occurredAt)).toBe(zonedToUtc(yesterday, "15:30", ZONE));
    expect(logged.payload.direction).toBe("inbound");
  });

  it("does not keep a direction on a meeting, even when a form without JavaScript sends one", async () => {
    const logged = await logCall(AUTHOR, "Site visit", utcToZoned(Date.now(), ZONE).day, "09:00", "meeting");
    expect(logged.kind).toBe("meeting");
    expect(logged.payload.direction).toBeUndefined();
  });

  it("refuses a bad time or a day far ahead, and writes nothing", async () => {
    const author = await as(AUTHOR);
    const before = (await entries()).length;
    const bad = await author.post(`/t/${T}/activities`, {
      subjectType: "contact",
      subjectId: String(contactId),
      kind: "call",
      occurredOn: "2026-12-01",
      occurredTime: "25:00",
      summary: "Never",
    });
    expect(bad.status).toBe(422);
    expect(decodeEntities(bad.text)).toContain("must be a time like 09:30");
    const ahead = await author.post(`/t/${T}/activities`, {
      subjectType: "contact",
      subjectId: String(contactId),
      kind: "call",
      occurredOn: "2099-01-01",
      occurredTime: "10:00",
      summary: "Never",
    });
    expect(ahead.status).toBe(422);
    expect((await entries()).length).toBe(before);
  });
});

describe("correcting and deleting a logged activity", () => {
  it("lets its author correct it from the timeline's Edit link; the change is logged, left out of History, and the export re-reads the workspace", async () => {
    const logged = await logCall(AUTHOR, "Called about radiators", "2026-11-30", "10:00");
    const author = await as(AUTHOR);
    const record = await author.get(`/t/${T}/contacts/${contactId}`);
    expect(record.text).toContain(`href="/t/${T}/activities/${logged.id}/edit"`);
    const page = await author.get(`/t/${T}/activities/${logged.id}/edit`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('name="occurredOn" type="date" value="2026-11-30"');
    expect(page.text).toContain('name="occurredTime" type="time" value="10:00"');
    expect(page.text).toContain(">Called about radiators</textarea>");

    const saved = await author.post(`/t/${T}/activities/${logged.id}`, {
      summary: "Called about radiators and valves",
      direction: "outbound",
      occurredOn: "2026-11-29",
      occurredTime: "16:45",
    });
    expect(saved.status).toBe(303);
    expect(saved.headers.get("location")).toBe(`/t/${T}/contacts/${contactId}`);
    const all = await entries();
    const changed = all.find((e) => e.id === logged.id);
    expect(changed?.payload).toEqual({ summary: "Called about radiators and valves", direction: "outbound" });
    expect(Date.parse(changed?.occurredAt ?? "")).toBe(zonedToUtc("2026-11-29", "16:45", ZONE));
    const note = all.find((e) => e.kind === "activity.updated");
    expect(note?.payload).toEqual({ activityId: logged.id, kind: "call" });
    expect((await entries(true)).some((e) => e.kind.startsWith("activity."))).toBe(false);
    expect(decodeEntities((await author.get(`/t/${T}/contacts/${contactId}`)).text)).toContain(
      "Corrected a logged call",
    );

    // The nightly export reads by id: a correction of an older row must make it re-read the workspace.
    const catalog = Catalog.open(dir.path);
    const tenant = catalog.findBySlug(T);
    catalog.close();
    if (!tenant) throw new Error("no tenant");
    const reader = TenantReader.open(dir.path, tenant);
    try {
      expect(reader.logEnd(logged.id).rewrote).toBe(true);
      expect(reader.logEnd(note?.id ?? 0).rewrote).toBe(false);
    } finally {
      reader.close();
    }
  });

  it("refuses an empty summary inline and changes nothing", async () => {
    const logged = await logCall(AUTHOR, "Keep this", "2026-11-28", "11:00");
    const author = await as(AUTHOR);
    await author.get(`/t/${T}/activities/${logged.id}/edit`);
    const refused = await author.post(`/t/${T}/activities/${logged.id}`, {
      summary: " ",
      occurredOn: "2026-11-28",
      occurredTime: "11:00",
    });
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('aria-invalid="true"');
    expect((await entries()).find((e) => e.id === logged.id)?.payload.summary).toBe("Keep this");
  });

  it("refuses another member and a read-only user, and writes nothing", async () => {
    const logged = await logCall(AUTHOR, "Mine to correct", "2026-11-27", "12:00");
    const before = (await entries()).length;
    const other = await as(OTHER);
    expect((await other.get(`/t/${T}/activities/${logged.id}/edit`)).status).toBe(403);
    expect(
      (
        await other.post(`/t/${T}/activities/${logged.id}`, {
          summary: "Not mine",
          occurredOn: "2026-11-27",
          occurredTime: "12:00",
        })
      ).status,
    ).toBe(403);
    expect((await other.post(`/t/${T}/activities/${logged.id}/delete`, {})).status).toBe(403);
    const reader = await as(READER);
    expect((await reader.post(`/t/${T}/activities/${logged.id}/delete`, {})).status).toBe(403);
    const after = await entries();
    expect(after.length).toBe(before);
    expect(after.find((e) => e.id === logged.id)?.payload.summary).toBe("Mine to correct");
  });

  it("lets an admin or the owner delete it; the row goes and activity.deleted says who", async () => {
    const logged = await logCall(AUTHOR, "Logged twice", "2026-11-26", "13:00");
    const owner = await as(OWNER);
    await owner.get(`/t/${T}/activities/${logged.id}/edit`);
    const deleted = await owner.post(`/t/${T}/activities/${logged.id}/delete`, {});
    expect(deleted.status).toBe(303);
    const all = await entries();
    expect(all.some((e) => e.id === logged.id)).toBe(false);
    const gone = all.find((e) => e.kind === "activity.deleted" && e.payload.activityId === logged.id);
    expect(gone?.payload).toEqual({ activityId: logged.id, kind: "call" });
    expect(logged.actorName).toBe("author");
    expect(gone?.actorName).toBe("Owner");
    expect((await owner.get(`/t/${T}/activities/${logged.id}/edit`)).status).toBe(404);
  });

  it("never opens a system entry as an activity", async () => {
    const created = (await entries()).find((e) => e.kind === "contact.created");
    const owner = await as(OWNER);
    expect((await owner.get(`/t/${T}/activities/${created?.id}/edit`)).status).toBe(404);
    expect((await owner.post(`/t/${T}/activities/${created?.id}/delete`, {})).status).toBe(404);
    expect((await entries()).some((e) => e.id === created?.id)).toBe(true);
  });
});
