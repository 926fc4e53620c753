import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { createServer, type Socket } from "node:net";
import { createTenant } from "../src/auth/create-tenant.ts";
import { sha256Hex } from "../src/core/tokens.ts";
import { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { linkIn, SmtpInbox } from "./support/smtp-inbox.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir, PASSWORD, signIn, testHasher } from "./support/workspace.ts";

/**
 * Invitation and password-reset mail against a real SMTP server (smtp-server on a local port):
 * what arrives, that its links work and point at CRM_PUBLIC_URL whatever the request's Host
 * said, that a reset link is single-use and ends every other session, that an unknown address
 * gets the same answer and no mail, throttling, and that an SMTP server that is down loses
 * nothing: the action succeeds, the failure is logged and the mail retried.
 */

const T = "mail-co";
/** Markup and quotes in the workspace's name: mail must escape it in HTML and keep it in text. */
const NAME = `Bright & <Side> "Plumbing"`;
const PUBLIC = "https://crm.example.test";
const NEW_PASSWORD = "a brand new passphrase";
let server: TestServer;
const inbox = new SmtpInbox();
const dir = tempDir();
let data: DataDir;
let owner: BrowserClient;

beforeAll(async () => {
  const port = await inbox.listen();
  data = new DataDir(dir.path);
  await createTenant(data.catalog, testHasher(), {
    slug: T,
    name: NAME,
    ownerName: "Olive Owner",
    ownerEmail: "owner@mail.test",
    ownerPassword: PASSWORD,
  });
  await data.tenant("quiet-co");
  await data.user(T, "member@mail.test", "member");
  server = await startServer({
    dataDir: dir.path,
    env: {
      CRM_SMTP_URL: `smtp://127.0.0.1:${port}`,
      CRM_MAIL_FROM: "CRM <crm@mail.test>",
      CRM_PUBLIC_URL: PUBLIC,
      CRM_MAIL_ATTEMPTS: "3",
      CRM_MAIL_RETRY_SECONDS: "1",
      CRM_RESETS_PER_ADDRESS: "3",
      CRM_RESETS_PER_WORKSPACE: "6",
    },
  });
  owner = await signIn(server.url, T, "owner@mail.test");
});

afterAll(async () => {
  await server.stop();
  await inbox.close();
  data.close();
  dir.remove();
});

/** A link from a mail, as a path on the test server (the mail names CRM_PUBLIC_URL). */
const pathOf = (link: string) => link.slice(PUBLIC.length);

async function invite(email: string, headers: Record<string, string> = {}) {
  await owner.get(`/t/${T}/settings/users`);
  return owner.post(`/t/${T}/settings/invitations`, { email, role: "member" }, headers);
}

async function askReset(slug: string, email: string) {
  const client = new BrowserClient(server.url);
  await client.get(`/t/${slug}/password-reset`);
  return client.post(`/t/${slug}/password-reset`, { email });
}

function read(sql: string, ...params: (string | number)[]): Promise<unknown> {
  return data.shards.use(data.get(T), (s) => s.statement(sql).get(...params));
}

describe("invitation mail", () => {
  it("mails the invitee a working link built from CRM_PUBLIC_URL, never from the Host header", async () => {
    const response = await invite("new.hire@mail.test", {
      host: "evil.example",
      "x-forwarded-host": "evil.example",
    });
    expect(response.status).toBe(201);
    expect(response.text).toContain("We are mailing an invitation to new.hire@mail.test");
    expect(response.text).toContain(`value="${PUBLIC}/t/${T}/invites/`);

    const mail = await inbox.waitFor("new.hire@mail.test");
    expect(mail.from).toBe("crm@mail.test");
    expect(mail.subject).toContain("Olive Owner invited you to");
    expect(mail.text).toContain(`join ${NAME} on CRM as member`);
    expect(mail.raw).not.toContain("evil.example");
    expect(mail.html).toContain("Bright &amp; &lt;Side&gt; &quot;Plumbing&quot;");
    expect(mail.html).not.toContain("<Side>");
    const link = linkIn(mail, `${PUBLIC}/t/${T}/invites/`);
    expect(mail.html).toContain(`href="${link}"`);

    const invitee = new BrowserClient(server.url);
    expect((await invitee.get(pathOf(link))).status).toBe(200);
    const joined = await invitee.post(pathOf(link), { name: "New Hire", password: PASSWORD });
    expect(joined.status).toBe(303);
    expect((await invitee.get(`/t/${T}/contacts`)).status).toBe(200);
  });
});

describe("forgot password", () => {
  it("mails a link that sets a new password once, ends every other session and signs in afresh", async () => {
    const laptop = await signIn(server.url, T, "member@mail.test");
    const phone = await signIn(server.url, T, "member@mail.test");
    const asked = await askReset(T, "Member@Mail.test");
    expect(asked.status).toBe(303);
    expect(asked.headers.get("location")).toBe(`/t/${T}/password-reset?sent=1`);

    const mail = await inbox.waitFor("member@mail.test");
    expect(mail.subject).toBe(`Reset your password for ${NAME}`);
    expect(mail.text).toContain("expires in 60 minutes");
    const link = linkIn(mail, `${PUBLIC}/t/${T}/password-reset/`);
    const token = link.slice(link.lastIndexOf("/") + 1);
    // Only the token's hash is stored.
    expect(await read("SELECT count(*) AS n FROM password_resets WHERE token_hash = ?", token)).toEqual({
      n: 0,
    });
    expect(
      await read("SELECT count(*) AS n FROM password_resets WHERE token_hash = ?", sha256Hex(token)),
    ).toEqual({
      n: 1,
    });

    const visitor = new BrowserClient(server.url);
    const form = await visitor.get(pathOf(link));
    expect(form.status).toBe(200);
    expect(form.text).toContain("New password (10 to 200 characters)");
    const tooShort = await visitor.post(pathOf(link), { password: "short" });
    expect(tooShort.status).toBe(422);
    expect(tooShort.text).toContain("must be at least 10 characters");

    const done = await visitor.post(pathOf(link), { password: NEW_PASSWORD });
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe(`/t/${T}/account?done=reset`);
    const account = await visitor.get(`/t/${T}/account?done=reset`);
    expect(account.status).toBe(200);
    expect(account.text).toContain("Your new password is set");

    for (const old of [laptop, phone]) {
      const page = await old.get(`/t/${T}/contacts`);
      expect(page.status).toBe(303);
      expect(page.headers.get("location")).toStartWith(`/t/${T}/login`);
    }
    const oldPassword = new BrowserClient(server.url);
    await oldPassword.get(`/t/${T}/login`);
    expect(
      (await oldPassword.post(`/t/${T}/login`, { email: "member@mail.test", password: PASSWORD })).status,
    ).toBe(401);
    await signIn(server.url, T, "member@mail.test", NEW_PASSWORD);

    const again = await new BrowserClient(server.url).get(pathOf(link));
    expect(again.status).toBe(410);
    expect(again.text).toContain("This link was already used");
  });

  it("says plainly when a link has expired or is not one of ours, and changes nothing", async () => {
    const token = "expired-token-for-the-test-0123456789";
    await data.shards.use(data.get(T), (s) =>
      s
        .statement(
          `INSERT INTO password_resets (user_id, token_hash, created_at, expires_at)
           SELECT id, ?, ?, ? FROM users WHERE email = 'owner@mail.test'`,
        )
        .run(sha256Hex(token), Date.now() - 2 * 3_600_000, Date.now() - 3_600_000),
    );
    const client = new BrowserClient(server.url);
    const expired = await client.get(`/t/${T}/password-reset/${token}`);
    expect(expired.status).toBe(410);
    expect(expired.text).toContain("This link has expired");
    await client.get(`/t/${T}/login`);
    expect((await client.post(`/t/${T}/password-reset/${token}`, { password: NEW_PASSWORD })).status).toBe(
      410,
    );

    const forged = await client.get(`/t/${T}/password-reset/forged-${"x".repeat(40)}`);
    expect(forged.status).toBe(404);
    expect(forged.text).toContain("This link is not valid");
    expect(forged.text).toContain(`/t/${T}/password-reset"`);
    await signIn(server.url, T, "owner@mail.test");
  });

  it("answers an unknown address exactly as a known one, and mails nothing", async () => {
    const before = inbox.messages.length;
    const unknown = await askReset(T, "nobody@mail.test");
    const known = await askReset(T, "owner@mail.test");
    expect(unknown.status).toBe(known.status);
    expect(unknown.headers.get("location")).toBe(known.headers.get("location"));
    const sent = await new BrowserClient(server.url).get(`/t/${T}/password-reset?sent=1`);
    expect(sent.text).toContain("If an account with that email exists");
    await inbox.waitFor("owner@mail.test");
    await Bun.sleep(300);
    expect(inbox.to("nobody@mail.test")).toEqual([]);
    expect(inbox.messages.length).toBe(before + 1);
  });

  it("throttles requests per address (known or not, 429); the workspace's allowance counts only mails sent, silently", async () => {
    for (let i = 0; i < 3; i++) expect((await askReset("quiet-co", "guess@quiet.test")).status).toBe(303);
    const refused = await askReset("quiet-co", "guess@quiet.test");
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(refused.text).toContain("Too many reset requests");
    // Made-up addresses spend none of the workspace's allowance (6 mails an hour here)...
    for (let i = 0; i < 8; i++) expect((await askReset("quiet-co", `other${i}@quiet.test`)).status).toBe(303);
    // ...so its members still get their mails: 3 to the owner, 3 to a member, the 6 allowed.
    await data.user("quiet-co", "first@quiet.test", "member");
    await data.user("quiet-co", "second@quiet.test", "member");
    for (const email of ["owner@quiet-co.test", "first@quiet.test"])
      for (let i = 0; i < 3; i++) expect((await askReset("quiet-co", email)).status).toBe(303);
    await inbox.waitFor("owner@quiet-co.test", 3);
    await inbox.waitFor("first@quiet.test", 3);
    // Past it the answer is the same (no 429 that tells anything); the mail is not sent, and logged.
    expect((await askReset("quiet-co", "second@quiet.test")).status).toBe(303);
    await server.waitForLine((line) => String(line.msg ?? line.message ?? "").includes("allowance is spent"));
    await Bun.sleep(700);
    expect(inbox.to("second@quiet.test")).toEqual([]);
    // Other workspaces are not held back.
    expect((await askReset(T, "someone@mail.test")).status).toBe(303);
  });
});

describe("an SMTP server that is down", () => {
  it("loses nothing: the invitation is made and shown, the failure logged, the mail retried and delivered", async () => {
    await inbox.close();
    const response = await invite("patient@mail.test");
    expect(response.status).toBe(201);
    expect(response.text).toContain(`${PUBLIC}/t/${T}/invites/`);
    expect(await read("SELECT count(*) AS n FROM invitations WHERE email = 'patient@mail.test'")).toEqual({
      n: 1,
    });
    const failed = await server.waitForLine(
      (l) => l.msg === "mail send failed; will retry" && l.kind === "invitation",
    );
    expect(failed).toMatchObject({ level: "warn", attempt: 1, retryInSeconds: 1, tenant: T });
    await inbox.listen();
    const mail = await inbox.waitFor("patient@mail.test");
    expect(linkIn(mail, `${PUBLIC}/t/${T}/invites/`)).toBeTruthy();
    await server.waitForLine((l) => l.msg === "mail sent" && Number(l.attempt) >= 2);
  });

  it("never holds up the page: an SMTP server that accepts and never answers leaves the invitation as fast", async () => {
    await inbox.close();
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(inbox.port, "127.0.0.1", resolve));
    try {
      await owner.get(`/t/${T}/settings/users`);
      const started = performance.now();
      const response = await owner.post(`/t/${T}/settings/invitations`, {
        email: "stalled@mail.test",
        role: "member",
      });
      const ms = performance.now() - started;
      expect(response.status).toBe(201);
      console.log(
        `invitation answered in ${ms.toFixed(0)} ms while the SMTP server held its connection silent`,
      );
      expect(ms).toBeLessThan(2000);
      // The mail is stuck in the SMTP greeting (up to 10 s) after the page was answered.
      for (let i = 0; i < 50 && sockets.length === 0; i++) await Bun.sleep(20);
      expect(sockets.length).toBeGreaterThan(0);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
    await inbox.listen();
    await inbox.waitFor("stalled@mail.test");
  });

  it("gives up after CRM_MAIL_ATTEMPTS tries and logs it as an error", async () => {
    await inbox.close();
    expect((await invite("unlucky@mail.test")).status).toBe(201);
    const gaveUp = await server.waitForLine((l) => l.msg === "mail not sent", 15_000);
    expect(gaveUp).toMatchObject({ level: "error", attempts: 3, kind: "invitation", tenant: T });
    await inbox.listen();
    // The person's action stands: the invitation is there to pass on by hand.
    expect(await read("SELECT count(*) AS n FROM invitations WHERE email = 'unlucky@mail.test'")).toEqual({
      n: 1,
    });
  });
});
