import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir, PASSWORD, signIn } from "./support/workspace.ts";

/**
 * An invitation is only as good as its maker's right to make it now: removing or demoting the
 * person who invited withdraws what they could no longer grant, so a removed or demoted admin
 * cannot come back through an invitation they left pending (to another address of their own).
 */

const T = "invite-co";
let server: TestServer;
const dir = tempDir();
let data: DataDir;
let owner: BrowserClient;

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant(T, "owner@invite.test");
  server = await startServer({ dataDir: dir.path });
  owner = await signIn(server.url, T, "owner@invite.test");
});

afterAll(async () => {
  await server.stop();
  data.close();
  dir.remove();
});

function read(sql: string, ...params: (string | number)[]): Promise<unknown> {
  return data.shards.use(data.get(T), (s) => s.statement(sql).get(...params));
}

async function userId(email: string): Promise<number> {
  return ((await read("SELECT id FROM users WHERE email = ?", email)) as { id: number }).id;
}

/** Invites `email` with `role` through the Team tab, as `client`; returns the link. */
async function invite(client: BrowserClient, email: string, role: string): Promise<string> {
  await client.get(`/t/${T}/settings/users`);
  const response = await client.post(`/t/${T}/settings/invitations`, { email, role });
  expect(response.status).toBe(201);
  const link = /value="(\/t\/invite-co\/invites\/[^"]+)"/.exec(response.text)?.[1];
  expect(link).toStartWith(`/t/${T}/invites/`);
  return link as string;
}

/** The owner acts on a user from the Team tab. */
async function manage(path: string, fields: Record<string, string> = {}) {
  await owner.get(`/t/${T}/settings/users`);
  const response = await owner.post(`/t/${T}/settings/users/${path}`, fields);
  expect(response.status).toBe(303);
}

/** Whoever holds `link` tries to join: the form, then the submission. */
async function tryToJoin(link: string) {
  const client = new BrowserClient(server.url);
  // A form token from a page that always has one, so a refusal below is never about CSRF.
  await client.get(`/t/${T}/login`);
  expect(client.csrfToken).not.toBe("");
  const form = await client.get(link);
  const joined = await client.post(link, { name: "Back Again", password: PASSWORD });
  return { form: form.status, joined: joined.status, client };
}

describe("invitations whose maker lost the right to make them", () => {
  it("a removed admin cannot come back through an invitation they left pending", async () => {
    await data.user(T, "leaving-admin@invite.test", "admin");
    const admin = await signIn(server.url, T, "leaving-admin@invite.test");
    const link = await invite(admin, "leaving-admin.private@invite.test", "member");
    await manage(`${await userId("leaving-admin@invite.test")}/delete`);

    const attempt = await tryToJoin(link);
    expect(attempt).toMatchObject({ form: 404, joined: 404 });
    expect(attempt.client.cookie("crm_session")).toBeUndefined();
    expect(await read("SELECT count(*) AS n FROM users WHERE email LIKE 'leaving-admin%'")).toEqual({ n: 0 });
    expect(await read("SELECT count(*) AS n FROM invitations WHERE email LIKE 'leaving-admin%'")).toEqual({
      n: 0,
    });
    expect((await owner.get(`/t/${T}/settings/users`)).text).not.toContain(
      "leaving-admin.private@invite.test",
    );
  });

  it("an admin demoted to member cannot come back as a member through their own invitation", async () => {
    await data.user(T, "demoted-admin@invite.test", "admin");
    const admin = await signIn(server.url, T, "demoted-admin@invite.test");
    const link = await invite(admin, "demoted-admin.alt@invite.test", "member");
    await manage(`${await userId("demoted-admin@invite.test")}/role`, { role: "member" });

    expect(await tryToJoin(link)).toMatchObject({ form: 404, joined: 404 });
    expect(
      await read("SELECT count(*) AS n FROM users WHERE email = 'demoted-admin.alt@invite.test'"),
    ).toEqual({
      n: 0,
    });
  });

  it("an owner demoted to admin loses the admin invitations they made and keeps the member ones", async () => {
    await data.user(T, "second-owner@invite.test", "owner");
    const second = await signIn(server.url, T, "second-owner@invite.test");
    const adminLink = await invite(second, "future-admin@invite.test", "admin");
    const memberLink = await invite(second, "future-member@invite.test", "member");
    await manage(`${await userId("second-owner@invite.test")}/role`, { role: "admin" });

    expect(await tryToJoin(adminLink)).toMatchObject({ form: 404, joined: 404 });
    const member = await tryToJoin(memberLink);
    expect(member).toMatchObject({ form: 200, joined: 303 });
    expect(await read("SELECT role FROM users WHERE email = 'future-member@invite.test'")).toEqual({
      role: "member",
    });
    expect(await read("SELECT count(*) AS n FROM users WHERE email = 'future-admin@invite.test'")).toEqual({
      n: 0,
    });
  });

  it("an invitee who opened the form before the inviter was removed cannot submit it afterwards", async () => {
    await data.user(T, "brief-admin@invite.test", "admin");
    const admin = await signIn(server.url, T, "brief-admin@invite.test");
    const link = await invite(admin, "late-joiner@invite.test", "read-only");
    const invitee = new BrowserClient(server.url);
    expect((await invitee.get(link)).status).toBe(200);
    await manage(`${await userId("brief-admin@invite.test")}/delete`);

    expect((await invitee.post(link, { name: "Late", password: PASSWORD })).status).toBe(404);
    expect(await read("SELECT count(*) AS n FROM users WHERE email = 'late-joiner@invite.test'")).toEqual({
      n: 0,
    });
  });

  it("an invitation whose maker is gone without a trace (removed before withdrawals existed) is re-checked and void", async () => {
    await data.user(T, "old-admin@invite.test", "admin");
    const admin = await signIn(server.url, T, "old-admin@invite.test");
    const link = await invite(admin, "old-admin.alt@invite.test", "member");
    // What an older version left behind: the inviter deleted, the invitation's maker set to NULL by the foreign key.
    await data.shards.use(data.get(T), (s) =>
      s.transaction(() => s.statement("DELETE FROM users WHERE email = 'old-admin@invite.test'").run()),
    );
    expect(
      await read("SELECT invited_by FROM invitations WHERE email = 'old-admin.alt@invite.test'"),
    ).toEqual({
      invited_by: null,
    });

    expect(await tryToJoin(link)).toMatchObject({ form: 404, joined: 404 });
    expect(await read("SELECT count(*) AS n FROM users WHERE email = 'old-admin.alt@invite.test'")).toEqual({
      n: 0,
    });
  });

  it("an invitation from someone still allowed to make it works as before", async () => {
    await data.user(T, "staying-admin@invite.test", "admin");
    const admin = await signIn(server.url, T, "staying-admin@invite.test");
    const link = await invite(admin, "newcomer@invite.test", "member");
    // A promotion takes nothing away.
    await manage(`${await userId("staying-admin@invite.test")}/role`, { role: "owner" });
    const joined = await tryToJoin(link);
    expect(joined).toMatchObject({ form: 200, joined: 303 });
    expect((await joined.client.get(`/t/${T}/contacts`)).text).toContain("Back Again · member");
  });
});
