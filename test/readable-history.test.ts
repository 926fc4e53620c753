/**
 * History people can read (issue 11, item 3), against the real application on a clock the test
 * sets: changes name owners, companies and people by their names and fields by their labels;
 * times are in the viewer's zone, relative to the page's minute, with the exact local time in a
 * title and the instant in <time datetime>; a cached, tagged record page follows the clock.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { removeUser } from "../src/auth/manage-users.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { type ClockedServer, startClockedServer, TestClock } from "./support/clocked-server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

const T = "/t/hist-co";
// A fixed instant: 04:00 on June 15 in Los Angeles (PDT), 16:30 the same day in Kolkata.
const NOW = Date.parse("2026-06-15T11:00:00Z");
const clock = new TestClock(NOW);
const dir = tempDir();
let server: ClockedServer;
let call: ReturnType<typeof api>;
let owner: BrowserClient;
const people: Record<string, number> = {};

/** The text of each change line on a page ("Owner: Ana Ruiz → Ben Cole"), in page order. */
function changeLines(page: string): string[] {
  return [...page.matchAll(/<ul class="changes">([\s\S]*?)<\/ul>/g)].flatMap((m) =>
    [...(m[1] as string).matchAll(/<li>([\s\S]*?)<\/li>/g)].map((li) =>
      (li[1] as string).replace(/<[^>]+>/g, "").replaceAll("&amp;", "&"),
    ),
  );
}

/** The <time> of the timeline entry with this id: its datetime, title and text. */
function entryTime(page: string, interactionId: number) {
  const li = new RegExp(`id="interaction-${interactionId}">[\\s\\S]*?</li>`).exec(page)?.[0] ?? "";
  const m = /<time datetime="([^"]+)" title="([^"]+)">([^<]+)<\/time>/.exec(li);
  expect(m).not.toBeNull();
  return { datetime: m?.[1], title: m?.[2], text: m?.[3] };
}

async function userId(email: string): Promise<number> {
  const tenant = server.deps.catalog.findBySlug("hist-co");
  if (!tenant) throw new Error("no tenant");
  return server.deps.shards.use(
    tenant,
    (s) => (s.statement("SELECT id FROM users WHERE email = ?").get(email) as { id: number }).id,
  );
}

beforeAll(async () => {
  const setup = new DataDir(dir.path);
  await setup.tenant("hist-co", "owner@hist.test");
  const team: [string, string][] = [
    ["ana@hist.test", "Ana Ruiz"],
    ["ben@hist.test", "Ben Cole"],
    ["cleo@hist.test", "Cleo Gone"],
  ];
  for (const [email, name] of team) {
    await setup.user("hist-co", email, "member");
    await setup.shards.use(setup.get("hist-co"), (s) =>
      s.sqlite.run("UPDATE users SET name = ? WHERE email = ?", [name, email]),
    );
  }
  const key = await setup.apiKey("hist-co", "owner");
  setup.close();
  server = startClockedServer(dir.path, clock);
  call = api(server.url, key);
  for (const email of ["ana@hist.test", "ben@hist.test", "cleo@hist.test", "owner@hist.test"])
    people[email] = await userId(email);
  owner = await signIn(server.url, "hist-co", "owner@hist.test");
});

afterAll(async () => {
  await server.stop();
  dir.remove();
});

describe("readable history", () => {
  it("names owners, companies and custom fields, with Nobody, a removed user and formatted values, on the record's history and in the audit log", async () => {
    for (const field of [
      { entity: "contact", key: "lead_source", label: "Lead source", type: "text" },
      { entity: "contact", key: "vip", label: "VIP", type: "checkbox" },
      { entity: "contact", key: "renewal", label: "Renewal date", type: "date" },
    ])
      expect((await call("POST", `${T}/custom-fields`, field)).status).toBe(201);
    const acme = (await call("POST", `${T}/companies`, { name: "Acme Pumps" })).json;
    const bright = (await call("POST", `${T}/companies`, { name: "Brightside Plumbing" })).json;
    const tom = (
      await call("POST", `${T}/contacts`, {
        firstName: "Tom",
        lastName: "Order",
        ownerId: people["ana@hist.test"],
        companyId: acme.id,
      })
    ).json;
    const patch = (body: unknown) => call("PATCH", `${T}/contacts/${tom.id}`, body);
    expect(
      (
        await patch({
          ownerId: people["ben@hist.test"],
          companyId: bright.id,
          customFields: { lead_source: "Referral", vip: true, renewal: "2027-03-01" },
        })
      ).status,
    ).toBe(200);
    expect((await patch({ ownerId: null, title: "Buyer" })).status).toBe(200);
    expect((await patch({ ownerId: people["cleo@hist.test"], customFields: { vip: false } })).status).toBe(
      200,
    );
    // Cleo leaves: her id stays in the log, and the history says so rather than showing it; her
    // records lose their owner, logged (issue 12: a mirror must see it).
    const tenant = server.deps.catalog.findBySlug("hist-co");
    if (!tenant) throw new Error("no tenant");
    await server.deps.shards.use(tenant, (s) =>
      removeUser(
        s,
        { type: "user", id: people["owner@hist.test"] as number, role: "owner" },
        people["cleo@hist.test"] as number,
      ),
    );

    const history = await owner.get(`${T}/contacts/${tom.id}?view=history`);
    expect(history.status).toBe(200);
    const expected = [
      // Newest first.
      "Owner: a removed user → Nobody",
      "Owner: Nobody → a removed user",
      "VIP: Yes → No",
      "Title: — → Buyer",
      "Owner: Ben Cole → Nobody",
      "Company: Acme Pumps → Brightside Plumbing",
      "Owner: Ana Ruiz → Ben Cole",
      "Lead source: — → Referral",
      "VIP: — → Yes",
      "Renewal date: — → Mar 1, 2027",
    ];
    expect(changeLines(history.text)).toEqual(expected);
    for (const raw of ["ownerId", "companyId", "customFields.", String(people["ana@hist.test"])])
      expect(history.text.split('<ol class="entries"')[1]).not.toContain(raw);

    // The audit log reads the same lines (with every other change in the workspace around them).
    const audit = await owner.get(`${T}/settings/audit`);
    const lines = changeLines(audit.text);
    for (const line of expected) expect(lines).toContain(line);

    // A company renamed since reads by its name now; its label renamed, a field reads by its new label.
    expect(
      (await call("PATCH", `${T}/companies/${bright.id}`, { name: "Brightside Plumbing & Heat" })).status,
    ).toBe(200);
    const fields = (await call("GET", `${T}/custom-fields`)).json;
    const leadSource = (fields.data ?? fields).find((f: { key: string }) => f.key === "lead_source");
    expect((await call("PATCH", `${T}/custom-fields/${leadSource.id}`, { label: "Where from" })).status).toBe(
      200,
    );
    const after = changeLines((await owner.get(`${T}/contacts/${tom.id}?view=history`)).text);
    expect(after).toContain("Company: Acme Pumps → Brightside Plumbing & Heat");
    expect(after).toContain("Where from: — → Referral");
  });

  it("reads a deal's stage changes by the stages' names now, and its people and amount in words", async () => {
    const pipeline = (await call("GET", `${T}/pipelines`)).json.data[0];
    const stage = (name: string) => pipeline.stages.find((s: { name: string }) => s.name === name);
    const deal = (await call("POST", `${T}/deals`, { title: "Valves", amountCents: 2_400_000 })).json;
    const tom = (await call("POST", `${T}/contacts`, { firstName: "Tom", lastName: "Deal" })).json;
    expect((await call("PATCH", `${T}/deals/${deal.id}`, { stageId: stage("Qualified").id })).status).toBe(
      200,
    );
    expect(
      (await call("PATCH", `${T}/deals/${deal.id}`, { amountCents: 2_600_050, contactIds: [tom.id] })).status,
    ).toBe(200);
    expect((await call("PATCH", `${T}/stages/${stage("Qualified").id}`, { name: "Discovery" })).status).toBe(
      200,
    );
    const history = await owner.get(`${T}/deals/${deal.id}?view=history`);
    expect(history.text).toContain("<strong>Moved</strong> Lead → Discovery");
    expect(changeLines(history.text)).toEqual(["Amount: 24,000.00 → 26,000.50", "People: Nobody → Tom Deal"]);
  });

  it("resolves a page's names in one statement, however many changes name people and companies (Server-Timing's query count)", async () => {
    const companies: number[] = [];
    for (const name of ["One Co", "Two Co", "Three Co", "Four Co"])
      companies.push((await call("POST", `${T}/companies`, { name })).json.id as number);
    const owners = [people["ana@hist.test"], people["ben@hist.test"], people["owner@hist.test"]];
    const few = (await call("POST", `${T}/contacts`, { firstName: "Few", lastName: "Changes" })).json.id;
    const many = (await call("POST", `${T}/contacts`, { firstName: "Many", lastName: "Changes" })).json.id;
    await call("PATCH", `${T}/contacts/${few}`, { ownerId: owners[0], companyId: companies[0] });
    for (let i = 0; i < 12; i++)
      await call("PATCH", `${T}/contacts/${many}`, { ownerId: owners[i % 3], companyId: companies[i % 4] });
    const queries = async (id: number) => {
      let fewest = Number.POSITIVE_INFINITY;
      for (let run = 0; run < 2; run++) {
        // A write first, so the page is rendered, not answered from the render cache.
        await call("PATCH", `${T}/companies/${companies[3]}`, { city: `City ${run}-${id}` });
        const page = await owner.get(`${T}/contacts/${id}?view=history`);
        expect(changeLines(page.text).length).toBeGreaterThan(0);
        fewest = Math.min(
          fewest,
          Number(/desc="(\d+) quer/.exec(page.headers.get("server-timing") ?? "")?.[1]),
        );
      }
      return fewest;
    };
    const fewQueries = await queries(few);
    expect(fewQueries).toBeGreaterThan(0);
    expect(await queries(many)).toBe(fewQueries);
  });

  it("shows times in the viewer's zone, relative to the page's minute, with the exact local time in the title; a cached and tagged page follows the clock", async () => {
    const contact = (await call("POST", `${T}/contacts`, { firstName: "Zara", lastName: "Zone" })).json;
    const log = async (summary: string, msAgo: number) =>
      (
        await call("POST", `${T}/interactions`, {
          kind: "call",
          subjectType: "contact",
          subjectId: contact.id,
          summary,
          direction: "outbound",
          occurredAt: new Date(NOW - msAgo).toISOString(),
        })
      ).json.id as number;
    const twoHours = await log("two hours ago", 2 * 3_600_000);
    const sixHours = await log("six hours ago", 6 * 3_600_000);
    const twelveMinutes = await log("twelve minutes ago", 12 * 60_000);
    const threeDays = await log("three days ago", 3 * 86_400_000);

    const pageIn = async (zone: string) => {
      owner.setCookie("tz", encodeURIComponent(zone));
      const page = await owner.get(`${T}/contacts/${contact.id}`);
      expect(page.status).toBe(200);
      return page;
    };
    const la = (await pageIn("America/Los_Angeles")).text;
    const kolkata = (await pageIn("Asia/Kolkata")).text;

    expect(entryTime(la, twelveMinutes)).toEqual({
      datetime: "2026-06-15T10:48:00.000Z",
      title: "Mon, Jun 15, 2026, 03:48 PDT",
      text: "12 min ago",
    });
    expect(entryTime(kolkata, twelveMinutes).text).toBe("12 min ago");
    expect(entryTime(kolkata, twelveMinutes).title).toBe("Mon, Jun 15, 2026, 16:18 GMT+5:30");
    // 05:00 UTC is 22:00 the day before in Los Angeles, 10:30 the same day in Kolkata.
    expect(entryTime(la, sixHours)).toEqual({
      datetime: "2026-06-15T05:00:00.000Z",
      title: "Sun, Jun 14, 2026, 22:00 PDT",
      text: "yesterday, 22:00",
    });
    expect(entryTime(kolkata, sixHours)).toEqual({
      datetime: "2026-06-15T05:00:00.000Z",
      title: "Mon, Jun 15, 2026, 10:30 GMT+5:30",
      text: "6 h ago",
    });
    expect(entryTime(la, twoHours).text).toBe("2 h ago");
    expect(entryTime(la, threeDays).text).toBe("Jun 12, 04:00");
    expect(entryTime(kolkata, threeDays).text).toBe("Jun 12, 16:30");
    expect(la).not.toContain(" UTC</time>");

    // The same page, tagged, from the same minute: 304. A minute on, the tag has moved with the
    // clock (no write between) and the page reads one minute later.
    owner.setCookie("tz", encodeURIComponent("America/Los_Angeles"));
    const first = await owner.get(`${T}/contacts/${contact.id}`);
    const tag = first.headers.get("etag") as string;
    expect(tag).toBeTruthy();
    expect((await owner.get(`${T}/contacts/${contact.id}`, { "if-none-match": tag })).status).toBe(304);
    clock.advance(60_000);
    const later = await owner.get(`${T}/contacts/${contact.id}`, { "if-none-match": tag });
    expect(later.status).toBe(200);
    expect(entryTime(later.text, twelveMinutes).text).toBe("13 min ago");
    clock.advance(59 * 60_000);
    const hourOn = (await owner.get(`${T}/contacts/${contact.id}`)).text;
    expect(entryTime(hourOn, twoHours).text).toBe("3 h ago");
    expect(entryTime(hourOn, twelveMinutes).text).toBe("1 h ago");

    // "Show older" and the audit log read in the same zone.
    const audit = await owner.get(`${T}/settings/audit?all=1`);
    expect(entryTime(audit.text, sixHours).title).toBe("Sun, Jun 14, 2026, 22:00 PDT");
    clock.set(NOW);
  });
});
