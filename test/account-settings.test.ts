import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { fileURLToPath } from "node:url";
import { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir, PASSWORD, signIn } from "./support/workspace.ts";

/**
 * The user's own account page (/account: name and password, without JavaScript, CSRF on every
 * form, errors inline) and a server without mail: invitations are links shown to the inviter,
 * pages say mail is off, and password reset by mail says it is off.
 */

const T = "acct-co";
const NEW_PASSWORD = "another good passphrase";
let server: TestServer;
const dir = tempDir();
let data: DataDir;

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant(T, "owner@acct.test");
  await data.user(T, "namer@acct.test", "member");
  await data.user(T, "changer@acct.test", "read-only");
  await data.user(T, "guessed@acct.test", "member");
  server = await startServer({ dataDir: dir.path });
});

afterAll(async () => {
  await server.stop();
  data.close();
  dir.remove();
});

function read(sql: string, ...params: (string | number)[]): Promise<unknown> {
  return data.shards.use(data.get(T), (s) => s.statement(sql).get(...params));
}

describe("the account page", () => {
  it("changes the name, with CSRF and inline errors, and nothing written on a refusal", async () => {
    const me = await signIn(server.url, T, "namer@acct.test");
    const page = await me.get(`/t/${T}/account`);
    expect(page.status).toBe(200);
    const forms = me.forms(page.text).filter((f) => f.action.startsWith(`/t/${T}/account/`));
    expect(forms.map((f) => f.action)).toEqual([`/t/${T}/account/name`, `/t/${T}/account/password`]);
    for (const form of forms) expect(form.controls.some((c) => c.name === "_csrf")).toBe(true);
    expect(page.text).toContain("New password (10 to 200 characters)");
    expect(page.text).toContain(`href="/t/${T}/account"`);

    const nameForm = forms[0];
    if (!nameForm) throw new Error("no name form");
    const forged = await me.submit(nameForm, { fill: { name: "Forged Name" }, without: ["_csrf"] });
    expect(forged.status).toBe(403);
    const empty = await me.postRaw(`/t/${T}/account/name`, [
      ["_csrf", me.csrfToken],
      ["name", "   "],
    ]);
    expect(empty.status).toBe(422);
    expect(empty.text).toMatch(/class="field-error" id="account-name-error">is required/);
    expect(await read("SELECT name FROM users WHERE email = 'namer@acct.test'")).toEqual({ name: "namer" });

    const saved = await me.submit(nameForm, { fill: { name: "Nadia Namer" } });
    expect(saved.status).toBe(303);
    expect(saved.headers.get("location")).toBe(`/t/${T}/account?done=name`);
    const after = await me.get(`/t/${T}/account?done=name`);
    expect(after.text).toContain("Your name was changed.");
    expect(after.text).toContain("Nadia Namer · member");
    expect(await read("SELECT name FROM users WHERE email = 'namer@acct.test'")).toEqual({
      name: "Nadia Namer",
    });
  });

  it("changes the password only with the current one, ends every other session and rotates this one", async () => {
    const me = await signIn(server.url, T, "changer@acct.test");
    const elsewhere = await signIn(server.url, T, "changer@acct.test");
    await me.get(`/t/${T}/account`);
    const before = me.cookie("crm_session");

    const wrong = await me.post(`/t/${T}/account/password`, {
      currentPassword: "not my password",
      newPassword: NEW_PASSWORD,
    });
    expect(wrong.status).toBe(422);
    expect(wrong.text).toContain("is not your current password");
    const short = await me.post(`/t/${T}/account/password`, {
      currentPassword: PASSWORD,
      newPassword: "tiny",
    });
    expect(short.status).toBe(422);
    expect(short.text).toContain("must be at least 10 characters");
    expect((await elsewhere.get(`/t/${T}/contacts`)).status).toBe(200);

    const changed = await me.post(`/t/${T}/account/password`, {
      currentPassword: PASSWORD,
      newPassword: NEW_PASSWORD,
    });
    expect(changed.status).toBe(303);
    expect(changed.headers.get("location")).toBe(`/t/${T}/account?done=password`);
    expect(me.cookie("crm_session")).toBeDefined();
    expect(me.cookie("crm_session")).not.toBe(before);
    expect((await me.get(`/t/${T}/account?done=password`)).text).toContain(
      "You were signed out everywhere else",
    );

    const gone = await elsewhere.get(`/t/${T}/contacts`);
    expect(gone.status).toBe(303);
    expect(gone.headers.get("location")).toStartWith(`/t/${T}/login`);
    const stale = new BrowserClient(server.url);
    stale.setCookie("crm_session", before ?? "", `/t/${T}`);
    expect((await stale.get(`/t/${T}/contacts`)).status).toBe(303);

    const old = new BrowserClient(server.url);
    await old.get(`/t/${T}/login`);
    expect((await old.post(`/t/${T}/login`, { email: "changer@acct.test", password: PASSWORD })).status).toBe(
      401,
    );
    await signIn(server.url, T, "changer@acct.test", NEW_PASSWORD);
  });

  it("slows guessing of the current password from an open session as sign-in guessing, the owner's device still signing in", async () => {
    const session = await signIn(server.url, T, "guessed@acct.test");
    await session.get(`/t/${T}/account`);
    for (let i = 0; i < 5; i++) {
      const guess = await session.post(`/t/${T}/account/password`, {
        currentPassword: `guess number ${i}`,
        newPassword: NEW_PASSWORD,
      });
      expect(guess.status).toBe(422);
    }
    const held = await session.post(`/t/${T}/account/password`, {
      currentPassword: PASSWORD,
      newPassword: NEW_PASSWORD,
    });
    expect(held.status).toBe(429);
    expect(Number(held.headers.get("retry-after"))).toBeGreaterThan(0);
    // The browser that signed in is a known device of the account: it is not held back.
    await session.get(`/t/${T}/login`);
    expect(
      (await session.post(`/t/${T}/login`, { email: "guessed@acct.test", password: PASSWORD, next: "" }))
        .status,
    ).toBe(303);
  });

  it("is for signed-in people only", async () => {
    const visitor = new BrowserClient(server.url);
    const page = await visitor.get(`/t/${T}/account`);
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toStartWith(`/t/${T}/login`);
  });
});

describe("with mail off (no CRM_SMTP_URL)", () => {
  it("shows the invitation link to the inviter and says mail is off", async () => {
    const owner = await signIn(server.url, T, "owner@acct.test");
    const team = await owner.get(`/t/${T}/settings/users`);
    expect(team.text).toContain("Mail is off on this server");
    const made = await owner.post(`/t/${T}/settings/invitations`, {
      email: "friend@acct.test",
      role: "member",
    });
    expect(made.status).toBe(201);
    expect(made.text).toContain("Mail is off on this server: send this link to friend@acct.test yourself.");
    expect(made.text).toMatch(new RegExp(`value="/t/${T}/invites/[A-Za-z0-9_-]{43}"`));
    expect(server.lines.some((l) => l.includes('"mail sent"') || l.includes('"mail send failed'))).toBe(
      false,
    );
  });

  it("says password reset by mail is off, on the sign-in page's link and if posted to anyway", async () => {
    const visitor = new BrowserClient(server.url);
    const login = await visitor.get(`/t/${T}/login`);
    expect(login.text).toContain(`href="/t/${T}/password-reset">Forgot password?</a>`);
    const page = await visitor.get(`/t/${T}/password-reset`);
    expect(page.status).toBe(200);
    expect(page.text).toContain("password reset by mail is off");
    expect(visitor.forms(page.text).some((f) => f.action.endsWith("/password-reset"))).toBe(false);
    const posted = await visitor.post(`/t/${T}/password-reset`, { email: "owner@acct.test" });
    expect(posted.status).toBe(503);
    expect(posted.text).toContain("password reset by mail is off");
    expect(await read("SELECT count(*) AS n FROM password_resets")).toEqual({ n: 0 });
  });

  it("refuses to start with CRM_SMTP_URL but no CRM_PUBLIC_URL, naming the setting", async () => {
    const cli = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
    const proc = Bun.spawn([process.execPath, cli, "serve", "--port", "0", "--data", dir.path], {
      env: {
        ...process.env,
        CRM_SMTP_URL: "smtp://127.0.0.1:1",
        CRM_MAIL_FROM: "x@y.test",
        CRM_PUBLIC_URL: "",
      },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(await proc.exited).toBe(2);
    expect(await new Response(proc.stderr).text()).toContain("CRM_SMTP_URL needs CRM_PUBLIC_URL");
  });
});
