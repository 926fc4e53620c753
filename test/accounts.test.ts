import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, PASSWORD, signIn } from "./support/workspace.ts";

let server: TestServer;
const dir = tempDir();
let data: DataDir;

beforeAll(async () => {
  server = await startServer({ dataDir: dir.path });
  data = new DataDir(dir.path);
});

afterAll(async () => {
  await server.stop();
  data.close();
  dir.remove();
});

async function signUp(client: BrowserClient, fields: Record<string, string>) {
  await client.get("/signup");
  return client.post("/signup", fields);
}

describe("sign-up", () => {
  it("creates a workspace, signs the owner in and lands on its contacts", async () => {
    const client = new BrowserClient(server.url);
    const response = await signUp(client, {
      name: "Rosa's Flowers",
      slug: "rosas-flowers",
      ownerName: "Rosa",
      ownerEmail: "Rosa@Example.com",
      ownerPassword: PASSWORD,
    });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/t/rosas-flowers/contacts");
    const page = await client.get("/t/rosas-flowers/contacts");
    expect(page.status).toBe(200);
    expect(page.text).toContain("Rosa&#x27;s Flowers");
    expect(page.text).toContain("Rosa · owner");
    expect(data.catalog.findBySlug("rosas-flowers")?.status).toBe("active");
  });

  it("names each invalid field inline with a 422 and creates nothing", async () => {
    const client = new BrowserClient(server.url);
    const response = await signUp(client, {
      name: "",
      slug: "Bad Slug!",
      ownerName: "X",
      ownerEmail: "not-an-email",
      ownerPassword: "short",
    });
    expect(response.status).toBe(422);
    for (const field of ["name", "slug", "ownerEmail", "ownerPassword"]) {
      expect(response.text).toContain(`id="signup-${field}-error"`);
    }
    expect(data.catalog.list().some((t) => t.slug.startsWith("bad"))).toBe(false);
  });

  it("refuses a slug that is taken", async () => {
    await data.tenant("taken-slug");
    const response = await signUp(new BrowserClient(server.url), {
      name: "Other",
      slug: "taken-slug",
      ownerName: "O",
      ownerEmail: "o@example.com",
      ownerPassword: PASSWORD,
    });
    expect(response.status).toBe(422);
    expect(response.text).toContain("is already taken");
  });

  it("refuses a form without its CSRF token", async () => {
    const client = new BrowserClient(server.url);
    await client.get("/signup");
    const response = await client.post("/signup", {
      _csrf: "forged",
      name: "Forged",
      slug: "forged-co",
      ownerName: "F",
      ownerEmail: "f@example.com",
      ownerPassword: PASSWORD,
    });
    expect(response.status).toBe(403);
    expect(data.catalog.findBySlug("forged-co")).toBeUndefined();
  });
});

describe("sign-in and sessions", () => {
  beforeAll(async () => {
    await data.tenant("acme", "owner@acme.test");
  });

  it("issues a new session id at login, even over a planted one, and the planted one stays dead", async () => {
    const client = new BrowserClient(server.url);
    client.setCookie("crm_session", "planted-session-id", "/t/acme");
    await client.get("/t/acme/login");
    const response = await client.post("/t/acme/login", { email: "owner@acme.test", password: PASSWORD });
    expect(response.status).toBe(303);
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith("crm_session="));
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Lax");
    expect(cookie).toContain("Path=/t/acme");
    expect(client.cookie("crm_session")).not.toBe("planted-session-id");

    const intruder = new BrowserClient(server.url);
    intruder.setCookie("crm_session", "planted-session-id", "/t/acme");
    expect((await intruder.get("/t/acme/contacts")).status).toBe(303);
  });

  it("rotates the session on every login: the previous session no longer works", async () => {
    const first = await signIn(server.url, "acme", "owner@acme.test");
    const oldToken = first.cookie("crm_session") as string;
    await first.get("/t/acme/login");
    const again = await first.post("/t/acme/login", { email: "owner@acme.test", password: PASSWORD });
    expect(again.status).toBe(303);
    const newToken = first.cookie("crm_session");
    expect(newToken).not.toBe(oldToken);
    const stale = new BrowserClient(server.url);
    stale.setCookie("crm_session", oldToken, "/t/acme");
    expect((await stale.get("/t/acme/contacts")).headers.get("location")).toStartWith("/t/acme/login");
  });

  it("rejects a wrong password with an inline message and no session", async () => {
    const client = new BrowserClient(server.url);
    await client.get("/t/acme/login");
    const response = await client.post("/t/acme/login", {
      email: "owner@acme.test",
      password: "wrong password!",
    });
    expect(response.status).toBe(401);
    expect(response.text).toContain("The email or password is incorrect.");
    expect(client.cookie("crm_session")).toBeUndefined();
  });

  it("sends signed-out visitors to the login page and back to where they were", async () => {
    const client = new BrowserClient(server.url);
    const response = await client.get("/t/acme/contacts?tag=vip");
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(
      `/t/acme/login?next=${encodeURIComponent("/t/acme/contacts?tag=vip")}`,
    );
    await client.get(response.headers.get("location") as string);
    const login = await client.post("/t/acme/login", {
      email: "owner@acme.test",
      password: PASSWORD,
      next: "/t/acme/contacts?tag=vip",
    });
    expect(login.headers.get("location")).toBe("/t/acme/contacts?tag=vip");
  });

  it("never redirects after login to another site or workspace", async () => {
    for (const next of ["https://evil.example/", "//evil.example/", "/t/other/contacts", "/t/acme/\\evil"]) {
      const client = new BrowserClient(server.url);
      await client.get("/t/acme/login");
      const login = await client.post("/t/acme/login", {
        email: "owner@acme.test",
        password: PASSWORD,
        next,
      });
      expect(login.headers.get("location")).toBe("/t/acme/contacts");
    }
  });

  it("logs out: the session is deleted server-side, not just forgotten by the browser", async () => {
    const client = await signIn(server.url, "acme", "owner@acme.test");
    const token = client.cookie("crm_session") as string;
    const response = await client.post("/t/acme/logout", {});
    expect(response.status).toBe(303);
    const replay = new BrowserClient(server.url);
    replay.setCookie("crm_session", token, "/t/acme");
    expect((await replay.get("/t/acme/contacts")).status).toBe(303);
  });

  it("marks authenticated pages no-store, but for the pages that revalidate (stored privately, never shared)", async () => {
    const client = await signIn(server.url, "acme", "owner@acme.test");
    expect((await client.get("/t/acme/settings/users")).headers.get("cache-control")).toBe("no-store");
    expect((await client.get("/t/acme/reports")).headers.get("cache-control")).toBe("no-store");
    // A list page carries an ETag for a browser's reload (conditional-pages.test.ts).
    expect((await client.get("/t/acme/contacts")).headers.get("cache-control")).toBe("private, no-cache");
  });
});

describe("invitations and roles", () => {
  beforeAll(async () => {
    await data.tenant("team-co", "owner@team.test");
  });

  it("an owner invites a colleague, who joins with the invited role and can sign in", async () => {
    const owner = await signIn(server.url, "team-co", "owner@team.test");
    await owner.get("/t/team-co/settings/users");
    const invite = await owner.post("/t/team-co/settings/invitations", {
      email: "pat@team.test",
      role: "read-only",
    });
    expect(invite.status).toBe(201);
    const link = /value="(\/t\/team-co\/invites\/[^"]+)"/.exec(invite.text)?.[1] as string;
    expect(link).toBeDefined();

    const pat = new BrowserClient(server.url);
    const form = await pat.get(link);
    expect(form.text).toContain("pat@team.test");
    const joined = await pat.post(link, { name: "Pat", password: PASSWORD });
    expect(joined.status).toBe(303);
    const page = await pat.get("/t/team-co/contacts");
    expect(page.text).toContain("Pat · read-only");
    // The link is single-use.
    expect((await new BrowserClient(server.url).get(link)).status).toBe(404);
    await signIn(server.url, "team-co", "pat@team.test");
  });

  it("a member cannot invite anyone (403) and nothing is created", async () => {
    await data.user("team-co", "mem@team.test", "member");
    const member = await signIn(server.url, "team-co", "mem@team.test");
    await member.get("/t/team-co/settings/users");
    const response = await member.post("/t/team-co/settings/invitations", {
      email: "x@team.test",
      role: "member",
    });
    expect(response.status).toBe(403);
    const pending = await data.shards.use(data.get("team-co"), (s) =>
      s.statement("SELECT count(*) AS n FROM invitations WHERE email = 'x@team.test'").get(),
    );
    expect(pending).toEqual({ n: 0 });
  });

  it("an admin cannot grant the owner role", async () => {
    await data.user("team-co", "adm@team.test", "admin");
    const admin = await signIn(server.url, "team-co", "adm@team.test");
    await admin.get("/t/team-co/settings/users");
    const response = await admin.post("/t/team-co/settings/invitations", {
      email: "boss@team.test",
      role: "owner",
    });
    expect(response.status).toBe(422);
    expect(response.text).toContain("you cannot grant that role");
  });

  it("an admin cannot revoke an owner's API key, nor withdraw an invitation for an admin", async () => {
    await data.user("team-co", "adm2@team.test", "admin");
    const ownerKey = await data.apiKey("team-co", "owner");
    const keyId = await data.shards.use(
      data.get("team-co"),
      (s) => (s.statement("SELECT id FROM api_keys WHERE role = 'owner'").get() as { id: number }).id,
    );
    const owner = await signIn(server.url, "team-co", "owner@team.test");
    await owner.get("/t/team-co/settings/users");
    const invited = await owner.post("/t/team-co/settings/invitations", {
      email: "future-admin@team.test",
      role: "admin",
    });
    const link = /value="(\/t\/team-co\/invites\/[^"]+)"/.exec(invited.text)?.[1] as string;
    expect(link).toBeDefined();
    const inviteId = await data.shards.use(
      data.get("team-co"),
      (s) =>
        (
          s.statement("SELECT id FROM invitations WHERE email = 'future-admin@team.test'").get() as {
            id: number;
          }
        ).id,
    );
    const admin = await signIn(server.url, "team-co", "adm2@team.test");
    await admin.get("/t/team-co/settings/users");
    expect((await admin.post(`/t/team-co/settings/api-keys/${keyId}/revoke`, {})).status).toBe(422);
    const withdraw = await admin.post(`/t/team-co/settings/invitations/${inviteId}/delete`, {});
    expect(withdraw.status).toBe(422);
    expect(withdraw.text).toContain("you cannot withdraw an invitation with that role");
    const call = api(server.url, ownerKey);
    expect((await call("GET", "/t/team-co/contacts")).status).toBe(200);
    // The invitation is still there: listed as pending, and its link still opens the form.
    expect((await owner.get("/t/team-co/settings/users")).text).toContain("future-admin@team.test · admin");
    const form = await new BrowserClient(server.url).get(link);
    expect(form.status).toBe(200);
    expect(form.text).toContain("future-admin@team.test");
  });

  it("removing a user revokes the API keys they made", async () => {
    await data.user("team-co", "leaver@team.test", "admin");
    const leaverId = await data.shards.use(
      data.get("team-co"),
      (s) =>
        (s.statement("SELECT id FROM users WHERE email = 'leaver@team.test'").get() as { id: number }).id,
    );
    const leaver = await signIn(server.url, "team-co", "leaver@team.test");
    await leaver.get("/t/team-co/settings/users");
    const created = await leaver.post("/t/team-co/settings/api-keys", {
      name: "leaver's key",
      role: "member",
    });
    const key = /value="(crm_[^"]+)"/.exec(created.text)?.[1] as string;
    expect((await api(server.url, key)("GET", "/t/team-co/contacts")).status).toBe(200);
    const owner = await signIn(server.url, "team-co", "owner@team.test");
    await owner.get("/t/team-co/settings/users");
    expect((await owner.post(`/t/team-co/settings/users/${leaverId}/delete`, {})).status).toBe(303);
    expect((await api(server.url, key)("GET", "/t/team-co/contacts")).status).toBe(401);
  });

  it("the last owner cannot be demoted", async () => {
    const owner = await signIn(server.url, "team-co", "owner@team.test");
    await owner.get("/t/team-co/settings/users");
    const ownerId = await data.shards.use(
      data.get("team-co"),
      (s) => (s.statement("SELECT id FROM users WHERE email = 'owner@team.test'").get() as { id: number }).id,
    );
    await data.user("team-co", "owner2@team.test", "owner");
    const second = await signIn(server.url, "team-co", "owner2@team.test");
    await second.get("/t/team-co/settings/users");
    expect((await second.post(`/t/team-co/settings/users/${ownerId}/role`, { role: "member" })).status).toBe(
      303,
    );
    const secondId = await data.shards.use(
      data.get("team-co"),
      (s) =>
        (s.statement("SELECT id FROM users WHERE email = 'owner2@team.test'").get() as { id: number }).id,
    );
    await data.user("team-co", "owner3@team.test", "owner");
    const third = await signIn(server.url, "team-co", "owner3@team.test");
    await third.get("/t/team-co/settings/users");
    expect((await third.post(`/t/team-co/settings/users/${secondId}/role`, { role: "member" })).status).toBe(
      303,
    );
    // owner3 is now the only owner and cannot step down: someone must be able to manage the workspace.
    const thirdId = await data.shards.use(
      data.get("team-co"),
      (s) =>
        (s.statement("SELECT id FROM users WHERE email = 'owner3@team.test'").get() as { id: number }).id,
    );
    const demoted = await third.post(`/t/team-co/settings/users/${thirdId}/role`, { role: "member" });
    expect(demoted.status).toBe(422);
    expect(demoted.text).toContain("the workspace needs at least one owner");
    const owners = await data.shards.use(data.get("team-co"), (s) =>
      s.statement("SELECT count(*) AS n FROM users WHERE role = 'owner'").get(),
    );
    expect(owners).toEqual({ n: 1 });
  });
});
