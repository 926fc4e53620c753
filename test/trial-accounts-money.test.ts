import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { createServer, type Socket } from "node:net";
import { createTenant } from "../src/auth/create-tenant.ts";
import { readTypedAmount, typedAmountText } from "../src/core/typed-amount.ts";
import { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { linkIn, SmtpInbox } from "./support/smtp-inbox.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir, PASSWORD, signIn, testHasher } from "./support/workspace.ts";

/**
 * A hostile trial of issue 11 (mail, reset links, the account page, typed amounts, workspace
 * money settings, editing logged activities, duplicate warnings' "anyway", spreadsheet exports),
 * against the real server and a real SMTP server. Passing tests state promises that held;
 * `it.skip("DEFECT: …")` tests describe what a user sees today and pass once it is fixed.
 */

const A = "trial-a";
const B = "trial-b";
const PUBLIC = "https://crm.trial.test";
const OWNER = "owner@trial.test";
const MEMBER = "member@trial.test";
const OTHER = "other@trial.test";
const READER = "reader@trial.test";
const VICTIM = "victim@trial.test";
const NEW_PASSWORD = "a fresh trial passphrase";
/** Accounts asked about once each in the timing probe. */
const PROBES = 12;

let server: TestServer;
const inbox = new SmtpInbox();
const dir = tempDir("crm-trial-accounts-");
let data: DataDir;
let owner: BrowserClient;

const pathOf = (link: string) => link.slice(PUBLIC.length);

function read<T>(slug: string, sql: string, ...params: (string | number)[]): Promise<T> {
  return data.shards.use(data.get(slug), (s) => s.statement(sql).get(...params) as T);
}

async function askReset(slug: string, email: string, headers: Record<string, string> = {}) {
  const client = new BrowserClient(server.url);
  await client.get(`/t/${slug}/password-reset`);
  const started = performance.now();
  const response = await client.post(`/t/${slug}/password-reset`, { email }, headers);
  return { ...response, ms: performance.now() - started };
}

/** Asks for a reset link for `email` in `slug` and returns its path from the mail that brings it. */
async function resetPath(slug: string, email: string): Promise<string> {
  const nth = inbox.to(email).length + 1;
  const asked = await askReset(slug, email);
  expect(asked.status).toBe(303);
  const mail = await inbox.waitFor(email, nth);
  return pathOf(linkIn(mail, `${PUBLIC}/t/${slug}/password-reset/`));
}

const hashOf = (slug: string, email: string) =>
  read<{ h: string }>(slug, "SELECT password_hash AS h FROM users WHERE email = ?", email).then((r) => r.h);

beforeAll(async () => {
  const port = await inbox.listen();
  data = new DataDir(dir.path);
  // A workspace name built to inject a header into the reset mail's Subject.
  await createTenant(data.catalog, testHasher(), {
    slug: A,
    name: "Trial\r\nBcc: thief@evil.test\r\nX-Injected: yes",
    ownerName: "Olive Owner",
    ownerEmail: OWNER,
    ownerPassword: PASSWORD,
  }).catch(async () => {
    await createTenant(data.catalog, testHasher(), {
      slug: A,
      name: "Trial A",
      ownerName: "Olive Owner",
      ownerEmail: OWNER,
      ownerPassword: PASSWORD,
    });
  });
  await data.tenant(B, "owner@trial-b.test");
  await data.user(A, MEMBER, "member");
  await data.user(A, OTHER, "member");
  await data.user(A, READER, "read-only");
  await data.user(A, VICTIM, "member");
  // The same address in workspace B: its links must never open A's account.
  await data.user(B, VICTIM, "member");
  for (let i = 0; i < PROBES; i++) await data.user(A, `known${i}@trial.test`, "member");
  server = await startServer({
    dataDir: dir.path,
    env: {
      CRM_SMTP_URL: `smtp://127.0.0.1:${port}`,
      CRM_MAIL_FROM: "CRM <crm@trial.test>",
      CRM_PUBLIC_URL: PUBLIC,
      CRM_RESETS_PER_ADDRESS: "3",
      CRM_RESETS_PER_WORKSPACE: "1000",
      CRM_MAIL_RETRY_SECONDS: "1",
    },
  });
  owner = await signIn(server.url, A, OWNER);
});

afterAll(async () => {
  await server?.stop();
  await inbox.close();
  data?.close();
  dir.remove();
});

describe("reset links under attack", () => {
  it("builds the mailed link from CRM_PUBLIC_URL whatever Host / X-Forwarded-Host say", async () => {
    const asked = await askReset(A, MEMBER, { host: "evil.example", "x-forwarded-host": "evil.example" });
    expect(asked.status).toBe(303);
    const mail = await inbox.waitFor(MEMBER, 1);
    expect(mail.raw).not.toContain("evil.example");
    expect(linkIn(mail, `${PUBLIC}/t/${A}/password-reset/`)).toStartWith(PUBLIC);
  });

  it("keeps a workspace name with CR/LF out of the headers: one recipient, no injected header", async () => {
    const mail = await inbox.waitFor(MEMBER, 1);
    expect(mail.to).toEqual([MEMBER]);
    const head = mail.raw.slice(0, mail.raw.indexOf("\r\n\r\n"));
    expect(head).not.toMatch(/^Bcc:/im);
    expect(head).not.toMatch(/^X-Injected:/im);
    expect(head).toContain("Subject: Reset your password for Trial Bcc: thief@evil.test X-Injected: yes");
    expect(inbox.messages.some((m) => m.to.includes("thief@evil.test"))).toBe(false);
  });

  it("never opens workspace A's account with a link mailed for workspace B (same address)", async () => {
    const pathB = await resetPath(B, VICTIM);
    const token = pathB.slice(pathB.lastIndexOf("/") + 1);
    const before = await hashOf(A, VICTIM);
    const stranger = new BrowserClient(server.url);
    expect((await stranger.get(`/t/${A}/password-reset/${token}`)).status).toBe(404);
    const posted = await stranger.post(`/t/${A}/password-reset/${token}`, { password: NEW_PASSWORD });
    expect([403, 404]).toContain(posted.status);
    expect(await hashOf(A, VICTIM)).toBe(before);
  });

  it("lets a link be used once when submitted twice at the same moment; the loser is told why", async () => {
    const path = await resetPath(A, VICTIM);
    const [first, second] = [new BrowserClient(server.url), new BrowserClient(server.url)];
    await first.get(path);
    await second.get(path);
    const results = await Promise.all([
      first.post(path, { password: "first racer password" }),
      second.post(path, { password: "second racer password" }),
    ]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 303)).toHaveLength(1);
    const loser = results.find((r) => r.status !== 303);
    expect([410, 422]).toContain(loser?.status ?? 0);
    // Replayed later, the link says it was used and changes nothing.
    const hash = await hashOf(A, VICTIM);
    const replay = await new BrowserClient(server.url).get(path);
    expect(replay.status).toBe(410);
    expect(await hashOf(A, VICTIM)).toBe(hash);
  });

  it("tells the browser that loses a double-submitted reset form that the link was just used", async () => {
    // Two submissions of one reset link (a double click): the second response is what the
    // person sees. It must say the link was just used (and not be a silent copy of the form).
    const path = await resetPath(A, VICTIM);
    const client = new BrowserClient(server.url);
    await client.get(path);
    const results = await Promise.all([
      client.post(path, { password: "double click password" }),
      client.post(path, { password: "double click password" }),
    ]);
    const loser = results.find((r) => r.status !== 303);
    expect(loser?.text).toMatch(/already used|has been used|was used/i);
  });

  it("voids an open link once the password is changed on the account page", async () => {
    const path = await resetPath(A, OTHER);
    const other = await signIn(server.url, A, OTHER);
    await other.get(`/t/${A}/account`);
    const changed = await other.post(`/t/${A}/account/password`, {
      currentPassword: PASSWORD,
      newPassword: NEW_PASSWORD,
      confirmPassword: NEW_PASSWORD,
    });
    expect(changed.status).toBe(303);
    const after = await hashOf(A, OTHER);
    const replay = new BrowserClient(server.url);
    expect((await replay.get(path)).status).toBe(410);
    expect((await replay.post(path, { password: "attacker password!" })).status).toBe(410);
    expect(await hashOf(A, OTHER)).toBe(after);
  });

  it("answers a known and an unknown address identically (status, location, body), with timings logged", async () => {
    const known: number[] = [];
    const unknown: number[] = [];
    const bodies = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const k = await askReset(A, OWNER);
      const u = await askReset(A, `nobody${i}@trial.test`);
      expect(k.status).toBe(u.status);
      expect(k.headers.get("location")).toBe(u.headers.get("location"));
      bodies.add(k.text);
      bodies.add(u.text);
      known.push(k.ms);
      unknown.push(u.ms);
    }
    expect(bodies.size).toBe(1);
    // Logged, not asserted: on a shared 2-core machine single requests vary by tens of ms.
    console.log(
      `reset request ms: known ${known.map((x) => x.toFixed(1))}, unknown ${unknown.map((x) => x.toFixed(1))}`,
    );
  });

  it("keeps the asker's next request as fast after a reset request for a real account as after one for a made-up address", async () => {
    // An attacker asks for the target, then times their next request: work only a known address
    // costs (the committed write, the mail's composition and SMTP send) must not land on it.
    // Before the fix (the write on the server's thread) the follow-ups after a known address
    // were 1.5-2.5x slower at their lower quartile (medians 2-3x, with spikes). The lower
    // quartile is compared because a shared 2-core machine adds spikes (upwards only), while a
    // cost the known path adds lifts every sample. Measured at a load average of 11: the fixed
    // code's ratio was 0.9-1.2 over 6 runs, the old code's 1.5-2.4 over 5. 12 pairs: every
    // request spends the per-client allowance (CRM_RESETS_PER_IP) the whole file shares.
    let n = 0;
    const followUp = async (email: string) => {
      await askReset(A, email);
      const next = await askReset(A, `next${n++}@nowhere.test`);
      expect(next.status).toBe(303);
      return next.ms;
    };
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < PROBES; i++) {
      unknown.push(await followUp(`ghost${i}@trial.test`));
      known.push(await followUp(`known${i}@trial.test`));
    }
    const quantile = (xs: number[], q: number) =>
      [...xs].sort((a, b) => a - b)[Math.floor(xs.length * q)] ?? 0;
    console.log(
      `follow-up ms after known: ${known.map((x) => x.toFixed(2))}; after unknown: ${unknown.map((x) => x.toFixed(2))}`,
    );
    expect(quantile(known, 0.25)).toBeLessThan(quantile(unknown, 0.25) * 1.35 + 0.1);
  });

  it("throttles one address whatever its letter case and spaces (4th request: 429, no 4th mail)", async () => {
    const target = "reader@trial.test";
    const spellings = [
      "reader@trial.test",
      " READER@Trial.Test ",
      "Reader@TRIAL.test",
      "  reader@trial.TEST",
    ];
    const statuses: number[] = [];
    for (const spelling of spellings) statuses.push((await askReset(A, spelling)).status);
    expect(statuses).toEqual([303, 303, 303, 429]);
    await inbox.waitFor(target, 3);
    await Bun.sleep(300);
    expect(inbox.to(target)).toHaveLength(3);
  });
});

describe("reset throttling as a weapon", () => {
  it("lets a member reset their password after 30 requests for made-up addresses in their workspace", async () => {
    // reset-limiter.ts counts unknown addresses against the workspace's bucket
    // (CRM_RESETS_PER_WORKSPACE, 30 an hour): a stranger who knows only the slug spends it on
    // nobody1@…nobody30@, and the real member who forgot their password gets 429 "try again in
    // 60 minutes" (README documents the counting, not this consequence). Fixed when a known
    // account's first request still goes through (e.g. the workspace bucket counting only mails
    // actually sent, or a per-address allowance that outranks it).
    const second = await startServer({
      dataDir: dir.path,
      env: {
        CRM_SMTP_URL: `smtp://127.0.0.1:${inbox.port}`,
        CRM_MAIL_FROM: "CRM <crm@trial.test>",
        CRM_PUBLIC_URL: PUBLIC,
      },
    });
    try {
      const ask = async (email: string) => {
        const client = new BrowserClient(second.url);
        await client.get(`/t/${B}/password-reset`);
        return (await client.post(`/t/${B}/password-reset`, { email })).status;
      };
      for (let i = 0; i < 30; i++) expect(await ask(`nobody${i}@flood.test`)).toBe(303);
      expect(await ask("owner@trial-b.test")).toBe(303);
    } finally {
      await second.stop();
    }
  });
});

describe("the account page refuses what a stranger or a forged form sends", () => {
  it("refuses a password change and a name change without the CSRF token, and writes nothing", async () => {
    const member = await signIn(server.url, A, MEMBER);
    const before = await hashOf(A, MEMBER);
    const forged = await member.postRaw(`/t/${A}/account/password`, [
      ["currentPassword", PASSWORD],
      ["newPassword", "forged new password"],
      ["confirmPassword", "forged new password"],
    ]);
    expect(forged.status).toBe(403);
    const named = await member.postRaw(`/t/${A}/account/name`, [["name", "Forged Name"]]);
    expect(named.status).toBe(403);
    expect(await hashOf(A, MEMBER)).toBe(before);
    const row = await read<{ name: string }>(A, "SELECT name FROM users WHERE email = ?", MEMBER);
    expect(row.name).not.toBe("Forged Name");
  });

  it("refuses an account name with CR/LF (422) and stores no line break", async () => {
    const member = await signIn(server.url, A, MEMBER);
    await member.get(`/t/${A}/account`);
    const hostile = await member.post(`/t/${A}/account/name`, { name: "Eve\r\nBcc: thief@evil.test" });
    expect(hostile.status).toBe(422);
    const row = await read<{ name: string }>(A, "SELECT name FROM users WHERE email = ?", MEMBER);
    expect(row.name).not.toContain("\n");
  });
});

describe("the account password form submitted twice (a double click)", () => {
  it("changes the password once and leaves the browser signed in with the new one", async () => {
    await data.user(A, "twice@trial.test", "member");
    const client = await signIn(server.url, A, "twice@trial.test");
    await client.get(`/t/${A}/account`);
    const fields = {
      currentPassword: PASSWORD,
      newPassword: "double clicked pass",
      confirmPassword: "double clicked pass",
    };
    const results = await Promise.all([
      client.post(`/t/${A}/account/password`, fields),
      client.post(`/t/${A}/account/password`, fields),
    ]);
    console.log(`double-submitted password change: ${results.map((r) => r.status).join(", ")}`);
    expect(results.some((r) => r.status === 303)).toBe(true);
    expect((await client.get(`/t/${A}/account`)).status).toBe(200);
    await signIn(server.url, A, "twice@trial.test", "double clicked pass");
  });
});

describe("editing logged calls", () => {
  let contactId = 0;
  let activityId = 0;

  beforeAll(async () => {
    await owner.get(`/t/${A}/contacts/new`);
    const made = await owner.post(`/t/${A}/contacts`, { firstName: "Call", lastName: "Target" });
    contactId = Number(made.headers.get("location")?.split("/").pop());
    const member = await signIn(server.url, A, MEMBER);
    await member.get(`/t/${A}/contacts/${contactId}`);
    const logged = await member.post(`/t/${A}/activities`, {
      subjectType: "contact",
      subjectId: String(contactId),
      kind: "call",
      direction: "inbound",
      occurredOn: new Date().toISOString().slice(0, 10),
      occurredTime: "00:01",
      summary: "the member's own call",
    });
    expect(logged.status).toBe(303);
    activityId = (
      await read<{ id: number }>(
        A,
        "SELECT id FROM interactions WHERE payload LIKE ? ORDER BY id DESC",
        "%the member's own call%",
      )
    ).id;
  });

  const summary = () =>
    read<{ p: string }>(A, "SELECT payload AS p FROM interactions WHERE id = ?", activityId).then(
      (r) => r?.p,
    );

  it("refuses a read-only user and another member (403) and a CSRF-less post by the author, changing nothing", async () => {
    const before = await summary();
    for (const email of [READER, OTHER]) {
      const client = await signIn(server.url, A, email, email === OTHER ? NEW_PASSWORD : PASSWORD);
      await client.get(`/t/${A}/contacts/${contactId}`);
      const edit = await client.post(`/t/${A}/activities/${activityId}`, {
        kind: "call",
        direction: "outbound",
        occurredOn: new Date().toISOString().slice(0, 10),
        occurredTime: "00:02",
        summary: "rewritten by someone else",
      });
      expect(edit.status).toBe(403);
      expect((await client.post(`/t/${A}/activities/${activityId}/delete`, {})).status).toBe(403);
    }
    const author = await signIn(server.url, A, MEMBER);
    const forged = await author.postRaw(`/t/${A}/activities/${activityId}/delete`, []);
    expect(forged.status).toBe(403);
    expect(await summary()).toBe(before);
  });

  /** Logs a call on the contact dated `day` 10:00 and returns the status and what was stored (null: nothing). */
  async function logDated(day: string, marker: string) {
    const member = await signIn(server.url, A, MEMBER);
    await member.get(`/t/${A}/contacts/${contactId}`);
    const logged = await member.post(`/t/${A}/activities`, {
      subjectType: "contact",
      subjectId: String(contactId),
      kind: "call",
      direction: "inbound",
      occurredOn: day,
      occurredTime: "10:00",
      summary: marker,
    });
    const row = await read<{ at: number } | null>(
      A,
      "SELECT occurred_at AS at FROM interactions WHERE payload LIKE ?",
      `%${marker}%`,
    );
    return { status: logged.status, storedDay: row ? new Date(row.at).toISOString().slice(0, 10) : null };
  }

  it("refuses a call dated 2026-02-30 (422, nothing stored) instead of saving 2 March", async () => {
    // activity-form.ts:4 (DAY) checks only the shape (day 01–31 in any month), and
    // time-zone.ts:52 (zonedToUtc, Date.UTC) rolls the 30th of February over to 2 March.
    // The same day on the edit form (routes.ts:118) goes the same way.
    expect(await logDated("2026-02-30", "impossible day call")).toEqual({ status: 422, storedDay: null });
  });

  it("refuses a call dated in year 0026 (what typing 26 in a date field's year gives) instead of saving 1926", async () => {
    // zonedToUtc (time-zone.ts:52) calls Date.UTC(y, …), which reads years 0–99 as 1900–1999:
    // "0026-03-01" becomes 1926-03-01, a date the person never typed and the timeline then
    // shows a century back. Either refuse years before some floor or keep the year as typed.
    const got = await logDated("0026-03-01", "two digit year call");
    expect(got.storedDay === null ? got.status : got.storedDay).toBeOneOf([422, "0026-03-01"]);
    expect(got).toEqual({ status: 422, storedDay: null });
  });

  it("does not reach workspace A's activity from workspace B (its ids are B's own rows)", async () => {
    const ownerB = await signIn(server.url, B, "owner@trial-b.test");
    const before = await summary();
    await ownerB.get(`/t/${B}/contacts`);
    expect((await ownerB.get(`/t/${B}/activities/${activityId}/edit`)).status).toBe(404);
    expect((await ownerB.post(`/t/${B}/activities/${activityId}/delete`, {})).status).toBe(404);
    // And B's session cookie on A's path is not a session there.
    expect([302, 303, 401, 403]).toContain(
      (await ownerB.get(`/t/${A}/activities/${activityId}/edit`)).status,
    );
    expect(await summary()).toBe(before);
  });
});

describe("typed amounts", () => {
  const dealCount = () => read<{ n: number }>(A, "SELECT count(*) AS n FROM deals").then((r) => r.n);

  /** Health probes fired every 2 ms while `work` runs: the longest gap is how long the loop was held. */
  async function loopHeld(work: () => Promise<unknown>): Promise<number> {
    let worst = 0;
    let running = true;
    const probe = (async () => {
      while (running) {
        const t = performance.now();
        await fetch(`${server.url}/healthz`);
        worst = Math.max(worst, performance.now() - t);
        await Bun.sleep(2);
      }
    })();
    await work();
    running = false;
    await probe;
    return worst;
  }

  it("refuses hostile amounts through the deal form (422, nothing written) without holding the loop", async () => {
    await owner.get(`/t/${A}/deals/new`);
    const before = await dealCount();
    const hostile = [
      "-0",
      "1e5",
      "NaN",
      "Infinity",
      "١٢٣",
      "１２３",
      "9".repeat(10_000),
      `${" ".repeat(10_000)}1x`,
      "1,".repeat(5_000),
      "(5)",
      "5\u202e00",
      "9999999999999999",
    ];
    const times: number[] = [];
    const held = await loopHeld(async () => {
      for (const amount of hostile) {
        const t = performance.now();
        const refused = await owner.post(`/t/${A}/deals`, {
          title: "Hostile amount",
          amount,
          currency: "USD",
        });
        times.push(performance.now() - t);
        expect({ amount: amount.slice(0, 20), status: refused.status }).toEqual({
          amount: amount.slice(0, 20),
          status: 422,
        });
      }
    });
    console.log(
      `hostile amount posts ms: ${times.map((x) => x.toFixed(1)).join(" ")}; longest health probe ${held.toFixed(1)} ms`,
    );
    expect(held).toBeLessThan(100);
    expect(await dealCount()).toBe(before);
  });

  it("parses in microseconds even for crafted 40-character inputs", () => {
    const where = { currency: "USD", locale: "en-US" };
    const crafted = ["1,".repeat(20), `${"9".repeat(39)},`, "$".repeat(40), ",".repeat(40), "1 ".repeat(20)];
    const t = performance.now();
    for (let i = 0; i < 1000; i++) for (const c of crafted) readTypedAmount(c, where);
    const perCall = (performance.now() - t) / (1000 * crafted.length);
    console.log(`readTypedAmount on crafted input: ${(perCall * 1000).toFixed(1)} µs a call`);
    expect(perCall).toBeLessThan(0.5);
  });

  it("refuses signs, exponents, NaN, Infinity and non-ASCII digits", () => {
    const where = { currency: "USD", locale: "en-US" };
    for (const typed of ["-0", "1e5", "NaN", "Infinity", "١٢٣", "１２３", "+5", "0x10", "5-", "−5"])
      expect({ typed, ok: readTypedAmount(typed, where).ok }).toEqual({ typed, ok: false });
  });

  it('reads "US$24,000" for a USD deal in en-US, as README says (US$ is dropped)', () => {
    // README, Money: "The deal's own code and symbols (`USD`, `$`, `US$`) are dropped".
    // typed-amount.ts currencyMarks() only knows the symbols Intl gives in the workspace's locale
    // and en ("$" for USD), so "$" is removed from "US$24,000", leaving "US24,000": "is not an amount".
    expect(readTypedAmount("US$24,000", { currency: "USD", locale: "en-US" })).toEqual({
      ok: true,
      minor: 2_400_000,
    });
  });

  it('refuses "1.000,000,5" and "1,000.000.5" (the decimal mark also grouping the whole part) instead of reading a million', () => {
    // typed-amount.ts splits the whole part on /[._,]/ after choosing the last mark as decimals,
    // so "." and "," both pass as group marks: a garbled amount is read as a million.
    for (const locale of ["en-US", "de-DE"])
      expect(readTypedAmount("1.000,000,5", { currency: "EUR", locale }).ok).toBe(false);
    expect(readTypedAmount("1,000.000.5", { currency: "USD", locale: "en-US" }).ok).toBe(false);
  });

  it('refuses a 13-digit whole amount in a 3-decimal currency (KWD) as "too large", not "a whole number of cents"', async () => {
    // readTypedAmount caps the whole part at 13 digits, but 13 digits × 1000 (KWD's minor unit)
    // passes Number.MAX_SAFE_INTEGER: 9999999999999.999 becomes 1e16, and deal-input.ts's
    // .int() answers "must be a whole number of cents" about an amount typed without a fraction
    // problem. The message should say the amount is too large, as it does for USD.
    await owner.get(`/t/${A}/deals/new`);
    const refused = await owner.post(`/t/${A}/deals`, {
      title: "Kuwait",
      amount: "9999999999999.999",
      currency: "KWD",
    });
    expect(refused.status).toBe(422);
    expect(refused.text).toContain("is too large");
    expect(refused.text).not.toContain("whole number of cents");
  });

  const LOCALES =
    "en-US en-GB en-CA en-AU de-DE de-AT de-CH fr-FR fr-CA es-ES it-IT nl-NL pt-BR sv-SE pl-PL ja-JP".split(
      " ",
    );

  it("reads back what an edit form shows, in every offered locale (up to 13 whole digits)", () => {
    for (const locale of LOCALES)
      for (const currency of ["USD", "EUR", "JPY", "KWD", "CHF", "SEK"])
        for (const minor of [0, 1, 5, 99, 100, 1000, 123_456, 100_000_000, 123_456_789_012])
          expect({
            locale,
            currency,
            minor,
            back: readTypedAmount(typedAmountText(minor, { currency, locale }), { currency, locale }),
          }).toEqual({
            locale,
            currency,
            minor,
            back: { ok: true, minor },
          });
  });

  it("reads back a JPY deal of up to the API's limit (15 whole digits) from its edit form unchanged", () => {
    // README: "An edit form shows the amount the locale's way …, so saving it unchanged keeps
    // it." The API takes amountCents up to 1e15 (deal-input.ts), which for a currency without
    // decimals is 15 whole digits, but readTypedAmount refuses more than 13 ("is too large"),
    // so the form of such a deal answers 422 about a field nobody touched.
    const where = { currency: "JPY", locale: "en-US" };
    expect(readTypedAmount(typedAmountText(999_999_999_999_999, where), where)).toEqual({
      ok: true,
      minor: 999_999_999_999_999,
    });
  });

  it("refuses currencies and locales that are not real in Settings → Workspace, and writes nothing", async () => {
    await owner.get(`/t/${A}/settings/workspace`);
    for (const [currency, locale] of [
      ["XYZ", "en-US"],
      ["US", "en-US"],
      ["USD\r\n", "xx-XX"],
      ["USD", "en-US-u-nu-arab"],
      ["USD", "de-DE\u0000"],
      ["€", "en-US"],
    ] as const) {
      const refused = await owner.post(`/t/${A}/settings/workspace/money`, { currency, locale });
      expect({ currency, locale, status: refused.status }).toEqual({ currency, locale, status: 422 });
    }
    const page = await owner.get(`/t/${A}/settings/workspace`);
    expect(page.text).toContain('value="USD"');
  });
});

describe("lost reasons", () => {
  let dealId = 0;
  let lostStage = 0;
  const deal = () =>
    read<{ stageId: number; reason: string | null }>(
      A,
      "SELECT stage_id AS stageId, lost_reason AS reason FROM deals WHERE id = ?",
      dealId,
    );

  beforeAll(async () => {
    await owner.get(`/t/${A}/deals/new`);
    const made = await owner.post(`/t/${A}/deals`, { title: "Lost cause", amount: "100", currency: "USD" });
    dealId = Number(made.headers.get("location")?.split("/").pop());
    lostStage = (
      await read<{ id: number }>(
        A,
        "SELECT s.id FROM stages s JOIN deals d ON d.pipeline_id = s.pipeline_id WHERE d.id = ? AND s.kind = 'lost'",
        dealId,
      )
    ).id;
  });

  it("moves nothing to Lost without a reason (422 asking for it)", async () => {
    const before = await deal();
    await owner.get(`/t/${A}/deals/${dealId}/stage`);
    const refused = await owner.post(`/t/${A}/deals/${dealId}/stage`, {
      stageId: String(lostStage),
      lostReason: "  ",
    });
    expect(refused.status).toBe(422);
    expect(refused.text).toContain("is needed to move a deal to a Lost stage");
    expect(await deal()).toEqual(before);
  });

  it("refuses a lost reason with bidi overrides and control characters on the Move to… form, as every other form does", async () => {
    // deal-form.ts:109 (parseStageMove) only trims and slices the reason; the deal's edit form
    // reads it with plainText(200) (deal-input.ts), which refuses bidi controls. So the move
    // stores "\u202e…" (the deal page then shows it reversed) and afterwards the deal's own edit
    // form, carrying the stored reason, cannot be saved until someone finds and deletes it.
    const before = await deal();
    await owner.get(`/t/${A}/deals/${dealId}/stage`);
    const moved = await owner.post(`/t/${A}/deals/${dealId}/stage`, {
      stageId: String(lostStage),
      lostReason: "Price\u202e ecnanif\u0007",
    });
    // Today: 303, stored, and the edit form submitted unchanged answers 422 "must not contain
    // control characters" about a field the person never touched.
    const editPage = await owner.get(`/t/${A}/deals/${dealId}/edit`);
    const form = owner.forms(editPage.text).find((f) => f.action.endsWith(`/deals/${dealId}`));
    if (!form) throw new Error("no edit form");
    expect((await owner.submit(form, { pageUrl: `/t/${A}/deals/${dealId}/edit` })).status).toBe(303);
    expect(moved.status).toBe(422);
    expect((await deal()).stageId).toBe(before.stageId);
  });

  it("refuses a lost reason over 200 characters (422, said inline, nothing moved) instead of cutting it mid-emoji", async () => {
    // README: "any text, at most 200 characters"; deal-form.ts:109 slices at 200 UTF-16 units
    // instead of refusing, so 199 letters and an emoji are stored ending in a lone surrogate.
    const before = await deal();
    await owner.get(`/t/${A}/deals/${dealId}/stage`);
    const moved = await owner.post(`/t/${A}/deals/${dealId}/stage`, {
      stageId: String(lostStage),
      lostReason: `${"a".repeat(199)}😀 and more`,
    });
    expect(moved.status).toBe(422);
    expect(moved.text).toContain("at most 200 characters");
    expect(await deal()).toEqual(before);
  });
});

describe("a newcomer's mail settings", () => {
  it("refuses to start with CRM_SMTP_URL but no CRM_PUBLIC_URL (exit 2), as README says", async () => {
    const started = startServer({
      dataDir: dir.path,
      env: { CRM_SMTP_URL: "smtp://127.0.0.1:9", CRM_MAIL_FROM: "crm@trial.test", CRM_PUBLIC_URL: "" },
    });
    await expect(started).rejects.toThrow(/exited with 2[\s\S]*CRM_PUBLIC_URL/);
  });

  it("refuses to start (exit 2) with CRM_PUBLIC_URL=crm.example.com (no https://), which would mail dead links", async () => {
    // config.ts:198 only strips trailing slashes: a URL without a scheme (or javascript:…) is
    // taken, and public-link.ts makes "crm.example.com/t/<slug>/password-reset/<token>", which
    // mail clients show as text or resolve as a relative link. It should exit 2 like a missing one.
    const started = startServer({
      dataDir: dir.path,
      env: {
        CRM_SMTP_URL: "smtp://127.0.0.1:9",
        CRM_MAIL_FROM: "crm@trial.test",
        CRM_PUBLIC_URL: "crm.example.com",
      },
    });
    const outcome = await started.then(
      async (s) => {
        await s.stop();
        return "started";
      },
      (error: Error) => error.message,
    );
    expect(outcome).toMatch(/exited with 2/);
  });
});

describe("duplicate warnings' anyway, submitted twice", () => {
  it("makes one more copy of the contact when Create anyway is clicked twice (the warning form's one-time token)", async () => {
    await owner.get(`/t/${A}/contacts/new`);
    const first = await owner.post(`/t/${A}/contacts`, { firstName: "Dup", email: "dup@trial.test" });
    expect(first.status).toBe(303);
    const warned = await owner.post(`/t/${A}/contacts`, { firstName: "Dup", email: "dup@trial.test" });
    expect(warned.status).toBe(422);
    // What the warning's form sends with its Create anyway button, hidden token included.
    const once = /name="_once" value="([^"]+)"/.exec(warned.text)?.[1] ?? "";
    expect(once).not.toBe("");
    const anyway = { firstName: "Dup", email: "dup@trial.test", anyway: "1", _once: once };
    const [a, b] = await Promise.all([
      owner.post(`/t/${A}/contacts`, anyway),
      owner.post(`/t/${A}/contacts`, anyway),
    ]);
    expect([a.status, b.status]).toEqual([303, 303]);
    expect(a.headers.get("location")).toBe(b.headers.get("location"));
    const n = await read<{ n: number }>(
      A,
      "SELECT count(*) AS n FROM contacts WHERE email = ?",
      "dup@trial.test",
    );
    expect(n.n).toBe(2);
  });
});

describe("spreadsheet exports of hostile names", () => {
  it("neutralises formulas in the contacts export and keeps a 100-character right-to-left name whole", async () => {
    const arabic = "ﺏ".repeat(100);
    const names = [
      '=HYPERLINK("http://evil.test","click")',
      "+1+cmd|' /C calc'!A0",
      "@SUM(1)",
      "-2+3+cmd",
      arabic,
    ];
    await owner.get(`/t/${A}/contacts/new`);
    for (const [i, name] of names.entries()) {
      const made = await owner.post(`/t/${A}/contacts`, { firstName: name, lastName: `Exp${i}` });
      expect({ i, status: made.status }).toEqual({ i, status: 303 });
    }
    const response = await owner.get(`/t/${A}/exports/contacts.csv`);
    expect(response.status).toBe(200);
    const csv = response.text;
    expect(csv).toContain(`"'=HYPERLINK(""http://evil.test"",""click"")"`);
    expect(csv).toContain("'+1+cmd|' /C calc'!A0");
    expect(csv).toContain("'@SUM(1)");
    expect(csv).toContain("'-2+3+cmd");
    expect(csv).toContain(arabic);
    expect(csv).not.toMatch(/(^|,)[=+@]/m);
  });

  it("refuses a name with right-to-left override characters (422, said plainly) and writes nothing", async () => {
    const rtl = `\u202e${"x".repeat(98)}\u202d`;
    const count = () => read<{ n: number }>(A, "SELECT count(*) AS n FROM contacts").then((r) => r.n);
    const before = await count();
    await owner.get(`/t/${A}/contacts/new`);
    const refused = await owner.post(`/t/${A}/contacts`, { firstName: rtl, lastName: "Override" });
    expect(refused.status).toBe(422);
    expect(refused.text).toContain("must not contain bidirectional control characters");
    expect(await count()).toBe(before);
  });
});

describe("an SMTP server that refuses service", () => {
  it("answers the reset form as ever, logs the refusal without the link, and delivers once the server is back", async () => {
    await inbox.close();
    const sockets: Socket[] = [];
    // Greets with 554 and hangs up: a server refusing service (RFC 5321 4.3.1).
    const refusing = createServer((socket) => {
      sockets.push(socket);
      socket.end("554 5.3.2 not accepting mail now\r\n");
    });
    await new Promise<void>((resolve) => refusing.listen(inbox.port, "127.0.0.1", resolve));
    const email = "known3@trial.test";
    const nth = inbox.to(email).length + 1;
    try {
      const asked = await askReset(A, email);
      expect(asked.status).toBe(303);
      expect(asked.headers.get("location")).toBe(`/t/${A}/password-reset?sent=1`);
      const failed = await server.waitForLine(
        (l) => l.msg === "mail send failed; will retry" && l.kind === "password-reset",
      );
      expect(failed).toMatchObject({ level: "warn", tenant: A });
    } finally {
      await new Promise<void>((resolve) => refusing.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
    }
    await inbox.listen();
    const mail = await inbox.waitFor(email, nth);
    const link = linkIn(mail, `${PUBLIC}/t/${A}/password-reset/`);
    const token = link.slice(link.lastIndexOf("/") + 1);
    expect(server.lines.join("\n")).not.toContain(token);
    expect(server.stderr()).not.toContain(token);
  });
});
