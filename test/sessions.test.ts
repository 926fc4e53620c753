import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { join } from "node:path";
import { sha256Hex } from "../src/core/tokens.ts";
import { BrowserClient } from "./support/browser-client.ts";
import { type ClockedServer, startClockedServer, TestClock } from "./support/clocked-server.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir, PASSWORD, signIn } from "./support/workspace.ts";

// Time is arranged by moving the rows' timestamps back in the workspace file from this
// process; the server then judges them by its own clock, as it would after real hours.
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

let server: TestServer;
const dir = tempDir();
let data: DataDir;

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant("clock-co", "owner@clock.test");
  server = await startServer({ dataDir: dir.path });
});

afterAll(async () => {
  await server.stop();
  data.close();
  dir.remove();
});

/** Runs SQL on the workspace's file from the test process. */
function sql<T = unknown[]>(query: string, ...params: (string | number)[]): Promise<T> {
  return data.shards.use(data.get("clock-co"), (s) => s.statement(query).all(...params) as T);
}

interface SessionRow {
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

/** The session row behind a cookie token (the cookie, not the client: a refused session's cookie is cleared). */
async function sessionOf(token: string): Promise<SessionRow | undefined> {
  const id = sha256Hex(token);
  return (
    await sql<SessionRow[]>("SELECT created_at, last_seen_at, expires_at FROM sessions WHERE id = ?", id)
  )[0];
}

/** Sets the session's timestamps (each computed from the current time by the caller). */
async function setSession(token: string, row: Partial<SessionRow>): Promise<void> {
  const columns = Object.keys(row) as (keyof SessionRow)[];
  await sql(
    `UPDATE sessions SET ${columns.map((column) => `${column} = ?`).join(", ")} WHERE id = ?`,
    ...columns.map((column) => row[column] as number),
    sha256Hex(token),
  );
}

/** Moves a session back in time so that it was started `age` ms ago, keeping the lifetime it was given. */
async function ageSession(token: string, start: SessionRow, age: number, lastSeenAgo: number): Promise<void> {
  const now = Date.now();
  await setSession(token, {
    created_at: now - age,
    expires_at: now - age + (start.expires_at - start.created_at),
    last_seen_at: now - lastSeenAgo,
  });
}

/** Where a signed-in page leaves this client: "signed in", or "sent to login" for a dead session. */
async function visit(client: BrowserClient): Promise<string> {
  const response = await client.get("/t/clock-co/contacts");
  const location = response.headers.get("location") ?? "";
  if (response.status === 200 && response.text.includes("Owner · owner")) return "signed in";
  if (response.status === 303 && location.startsWith("/t/clock-co/login")) return "sent to login";
  return `${response.status} ${location}`;
}

describe("sessions", () => {
  it("end after 12 hours without use: just inside one still works and is kept alive, just past it is refused and deleted", async () => {
    const client = await signIn(server.url, "clock-co", "owner@clock.test");
    const token = client.cookie("crm_session") as string;
    // Signed in 13 hours ago, last used a minute short of 12 hours ago: still alive, and using it counts.
    const before = Date.now();
    await setSession(token, { created_at: before - 13 * HOUR, last_seen_at: before - 12 * HOUR + MINUTE });
    expect(await visit(client)).toBe("signed in");
    expect(((await sessionOf(token)) as SessionRow).last_seen_at).toBeGreaterThanOrEqual(before);

    await setSession(token, { last_seen_at: Date.now() - 12 * HOUR - 1000 });
    expect(await visit(client)).toBe("sent to login");
    expect(await sql("SELECT id FROM sessions WHERE id = ?", sha256Hex(token))).toEqual([]);
    const replay = new BrowserClient(server.url);
    replay.setCookie("crm_session", token, "/t/clock-co");
    expect(await visit(replay)).toBe("sent to login");
  });

  it("keep serving pages while another connection holds the workspace's write lock: the last-use touch waits for a later request", async () => {
    const client = await signIn(server.url, "clock-co", "owner@clock.test");
    const token = client.cookie("crm_session") as string;
    // Last used an hour ago: this visit's touch is due, and it is a write.
    const hourAgo = Date.now() - HOUR;
    await setSession(token, { last_seen_at: hourAgo });
    // Another connection (a worker's import, another process) holds the write lock meanwhile.
    const holder = new Database(join(dir.path, data.get("clock-co").file));
    try {
      holder.run("BEGIN IMMEDIATE");
      expect(await visit(client)).toBe("signed in");
      holder.run("ROLLBACK");
    } finally {
      holder.close();
    }
    expect(((await sessionOf(token)) as SessionRow).last_seen_at).toBe(hourAgo);
    // Once the lock is gone, the next visit makes the touch.
    const before = Date.now();
    expect(await visit(client)).toBe("signed in");
    expect(((await sessionOf(token)) as SessionRow).last_seen_at).toBeGreaterThanOrEqual(before);
  });

  it("end 14 days after sign-in however recently used: just inside works, just past is refused", async () => {
    const client = await signIn(server.url, "clock-co", "owner@clock.test");
    const token = client.cookie("crm_session") as string;
    const start = (await sessionOf(token)) as SessionRow;
    expect(start.expires_at - start.created_at).toBe(14 * DAY);
    // Signed in a minute short of 14 days ago, used a minute ago.
    await ageSession(token, start, 14 * DAY - MINUTE, MINUTE);
    expect(await visit(client)).toBe("signed in");
    // 61 seconds later by the session's own timestamps (as the visit left them: using a session
    // must not push its end back), used a minute ago.
    const used = (await sessionOf(token)) as SessionRow;
    await setSession(token, {
      created_at: used.created_at - MINUTE - 1000,
      expires_at: used.expires_at - MINUTE - 1000,
      last_seen_at: Date.now() - MINUTE,
    });
    expect(await visit(client)).toBe("sent to login");
    expect(await sessionOf(token)).toBeUndefined();
  });

  it("the cookie lives as long as the session may: 14 days", async () => {
    const client = new BrowserClient(server.url);
    await client.get("/t/clock-co/login");
    const login = await client.post("/t/clock-co/login", { email: "owner@clock.test", password: PASSWORD });
    const cookie = login.headers.getSetCookie().find((c) => c.startsWith("crm_session="));
    expect(cookie).toContain(`Max-Age=${14 * 24 * 3600}`);
  });
});

interface InvitationRow {
  id: number;
  created_at: number;
  expires_at: number;
}

/** Creates an invitation through the owner's settings page; returns its link and row. */
async function invite(owner: BrowserClient, email: string) {
  await owner.get("/t/clock-co/settings/users");
  const response = await owner.post("/t/clock-co/settings/invitations", { email, role: "member" });
  expect(response.status).toBe(201);
  const link = /value="(\/t\/clock-co\/invites\/[^"]+)"/.exec(response.text)?.[1];
  expect(link).toBeDefined();
  const row = await sql<InvitationRow[]>(
    "SELECT id, created_at, expires_at FROM invitations WHERE email = ?",
    email,
  );
  expect(row).toHaveLength(1);
  return { link: link as string, row: row[0] as InvitationRow };
}

/** Moves an invitation back in time so that it was made `age` ms ago, keeping the lifetime it was given. */
async function ageInvitation(row: InvitationRow, age: number): Promise<void> {
  const createdAt = Date.now() - age;
  await sql(
    "UPDATE invitations SET created_at = ?, expires_at = ? WHERE id = ?",
    createdAt,
    createdAt + (row.expires_at - row.created_at),
    row.id,
  );
}

describe("invitations", () => {
  it("last 7 days: a minute short of that the link still opens and lets the colleague join", async () => {
    const owner = await signIn(server.url, "clock-co", "owner@clock.test");
    const { link, row } = await invite(owner, "early@clock.test");
    expect(row.expires_at - row.created_at).toBe(7 * DAY);
    await ageInvitation(row, 7 * DAY - MINUTE);
    expect((await owner.get("/t/clock-co/settings/users")).text).toContain("early@clock.test · member");
    const colleague = new BrowserClient(server.url);
    const form = await colleague.get(link);
    expect(form.status).toBe(200);
    expect(form.text).toContain("early@clock.test");
    expect((await colleague.post(link, { name: "Early", password: PASSWORD })).status).toBe(303);
    expect((await colleague.get("/t/clock-co/contacts")).text).toContain("Early · member");
  });

  it("last 7 days: a second past that the link is gone, joining creates no one, and it is no longer listed", async () => {
    const owner = await signIn(server.url, "clock-co", "owner@clock.test");
    const { link, row } = await invite(owner, "late@clock.test");
    expect((await owner.get("/t/clock-co/settings/users")).text).toContain("late@clock.test · member");
    await ageInvitation(row, 7 * DAY + 1000);
    const colleague = new BrowserClient(server.url);
    expect((await colleague.get(link)).status).toBe(404);
    await colleague.get("/t/clock-co/login");
    expect((await colleague.post(link, { name: "Late", password: PASSWORD })).status).toBe(404);
    expect(await sql("SELECT id FROM users WHERE email = 'late@clock.test'")).toEqual([]);
    expect((await owner.get("/t/clock-co/settings/users")).text).not.toContain("late@clock.test");
  });
});

/*
 * The same promises on the server's own clock: the real app in this process reads a clock the
 * test moves, and nothing is written to move time, so every cache the server keeps between
 * requests (the session row above all) is as warm as it would be over real hours.
 */
const clockDir = tempDir();
const clock = new TestClock(Date.parse("2030-01-07T08:00:00Z"));
let clocked: ClockedServer;
let clockedData: DataDir;

beforeAll(async () => {
  clockedData = new DataDir(clockDir.path);
  await clockedData.tenant("tick-co", "owner@tick.test");
  clockedData.close();
  clocked = startClockedServer(clockDir.path, clock);
});

afterAll(async () => {
  await clocked.stop();
  clockDir.remove();
});

/** Where a signed-in page of tick-co leaves this client: "signed in", or "sent to login". */
async function visitTick(client: BrowserClient): Promise<string> {
  const response = await client.get("/t/tick-co/contacts");
  const location = response.headers.get("location") ?? "";
  if (response.status === 200 && response.text.includes("Owner · owner")) return "signed in";
  if (response.status === 303 && location.startsWith("/t/tick-co/login")) return "sent to login";
  return `${response.status} ${location}`;
}

/** The session row behind a tick-co cookie token, read through the server's own handle on the file. */
async function tickSession(token: string): Promise<SessionRow | undefined> {
  const tenant = clocked.deps.catalog.findBySlug("tick-co");
  expect(tenant).toBeDefined();
  return (await clocked.deps.shards.use(
    tenant as NonNullable<typeof tenant>,
    (s) =>
      s
        .statement("SELECT created_at, last_seen_at, expires_at FROM sessions WHERE id = ?")
        .get(sha256Hex(token)) ?? undefined,
  )) as SessionRow | undefined;
}

/** Signs the owner of tick-co in at the clock's current time. */
async function signInTick(): Promise<{ client: BrowserClient; token: string }> {
  const client = await signIn(clocked.url, "tick-co", "owner@tick.test");
  const token = client.cookie("crm_session");
  expect(token).toBeDefined();
  return { client, token: token as string };
}

describe("sessions, on the server's clock", () => {
  it("end 12 hours after the last use, not after sign-in: used at 11 h and 22 h they still work, and exactly 12 h idle ends them", async () => {
    const { client, token } = await signInTick();
    const signedInAt = clock.now();
    expect(await tickSession(token)).toEqual({
      created_at: signedInAt,
      last_seen_at: signedInAt,
      expires_at: signedInAt + 14 * DAY,
    });
    expect(await visitTick(client)).toBe("signed in");
    clock.advance(11 * HOUR);
    expect(await visitTick(client)).toBe("signed in");
    // 22 h after sign-in and 11 h after the last use: the use at 11 h must count, in the
    // server's cached session as well as in the file.
    clock.advance(11 * HOUR);
    expect(await visitTick(client)).toBe("signed in");
    expect((await tickSession(token))?.last_seen_at).toBe(signedInAt + 22 * HOUR);
    clock.advance(12 * HOUR - 1);
    expect(await visitTick(client)).toBe("signed in");
    const lastUse = clock.now();
    clock.advance(12 * HOUR);
    expect(await visitTick(client)).toBe("sent to login");
    expect(await tickSession(token)).toBeUndefined();
    const replay = new BrowserClient(clocked.url);
    replay.setCookie("crm_session", token, "/t/tick-co");
    clock.set(lastUse + MINUTE);
    expect(await visitTick(replay)).toBe("sent to login");
  });

  it("end 14 days after sign-in however often used: a millisecond short works, the 14-day mark is refused", async () => {
    const { client, token } = await signInTick();
    const signedInAt = clock.now();
    let visits = 0;
    for (let at = 11 * HOUR; at < 14 * DAY; at += 11 * HOUR) {
      clock.set(signedInAt + at);
      expect([at / HOUR, await visitTick(client)]).toEqual([at / HOUR, "signed in"]);
      visits++;
    }
    expect(visits).toBe(30);
    clock.set(signedInAt + 14 * DAY - 1);
    expect(await visitTick(client)).toBe("signed in");
    // Using a session never pushes its end back.
    expect((await tickSession(token))?.expires_at).toBe(signedInAt + 14 * DAY);
    clock.set(signedInAt + 14 * DAY);
    expect(await visitTick(client)).toBe("sent to login");
    expect(await tickSession(token)).toBeUndefined();
  });
});

describe("invitations, on the server's clock", () => {
  it("last 7 days: a millisecond short the link opens, is listed and lets the colleague join; at 7 days it is gone, joining makes no one, and it is not listed", async () => {
    const owner = (await signInTick()).client;
    const invitedAt = clock.now();
    await owner.get("/t/tick-co/settings/users");
    const links: Record<string, string> = {};
    for (const email of ["early@tick.test", "late@tick.test"]) {
      const response = await owner.post("/t/tick-co/settings/invitations", { email, role: "member" });
      expect(response.status).toBe(201);
      const link = /value="(\/t\/tick-co\/invites\/[^"]+)"/.exec(response.text)?.[1];
      expect(link).toBeDefined();
      links[email] = link as string;
    }

    clock.set(invitedAt + 7 * DAY - 1);
    const admin = (await signInTick()).client;
    const listed = (await admin.get("/t/tick-co/settings/users")).text;
    expect(listed).toContain("early@tick.test · member");
    expect(listed).toContain("late@tick.test · member");
    const early = new BrowserClient(clocked.url);
    const form = await early.get(links["early@tick.test"] as string);
    expect(form.status).toBe(200);
    expect(form.text).toContain("early@tick.test");
    expect(
      (await early.post(links["early@tick.test"] as string, { name: "Early", password: PASSWORD })).status,
    ).toBe(303);
    expect((await early.get("/t/tick-co/contacts")).text).toContain("Early · member");
    // The late colleague opens the form in time...
    const late = new BrowserClient(clocked.url);
    expect((await late.get(links["late@tick.test"] as string)).status).toBe(200);

    // ...and sends it at the 7-day mark.
    clock.set(invitedAt + 7 * DAY);
    expect(
      (await late.post(links["late@tick.test"] as string, { name: "Late", password: PASSWORD })).status,
    ).toBe(404);
    expect((await late.get(links["late@tick.test"] as string)).status).toBe(404);
    expect((await admin.get("/t/tick-co/settings/users")).text).not.toContain("late@tick.test");
    const tenant = clocked.deps.catalog.findBySlug("tick-co") as NonNullable<
      ReturnType<typeof clocked.deps.catalog.findBySlug>
    >;
    expect(
      await clocked.deps.shards.use(tenant, (s) =>
        s.statement("SELECT email FROM users WHERE email LIKE '%@tick.test' ORDER BY id").all(),
      ),
    ).toEqual([{ email: "owner@tick.test" }, { email: "early@tick.test" }]);
  });
});
