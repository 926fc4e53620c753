import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { connect } from "node:net";
import { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir, PASSWORD } from "./support/workspace.ts";

/**
 * Failed sign-ins slow a guesser down without locking the owner out: per address, per account
 * from an address, and per account from anywhere for browsers it never signed in from, with
 * growing waits; a device that signed in before keeps working. Also: a `next` with control
 * characters is refused, and a client hanging up mid-body is a client abort, not a server error.
 */

let server: TestServer;
const dir = tempDir();
let data: DataDir;

beforeAll(async () => {
  data = new DataDir(dir.path);
  for (const slug of ["thr-a", "thr-b", "thr-c", "thr-x"]) await data.tenant(slug, `owner@${slug}.test`);
  await data.user("thr-b", "member@thr-b.test", "member");
  server = await startServer({
    dataDir: dir.path,
    env: {
      CRM_TRUST_PROXY: "true",
      CRM_LOGIN_FAILURES_PER_ACCOUNT: "3",
      CRM_LOGIN_FAILURES_PER_IP: "20",
      CRM_LOGIN_FAILURES_PER_ACCOUNT_ANYWHERE: "6",
    },
  });
});

afterAll(async () => {
  await server.stop();
  data.close();
  dir.remove();
});

/** One sign-in from `ip` with `client` (a fresh browser unless given). */
async function attempt(slug: string, email: string, password: string, ip: string, client?: BrowserClient) {
  const browser = client ?? new BrowserClient(server.url);
  await browser.get(`/t/${slug}/login`);
  const response = await browser.post(`/t/${slug}/login`, { email, password }, { "x-forwarded-for": ip });
  return {
    status: response.status,
    retryAfter: Number(response.headers.get("retry-after")),
    response,
    browser,
  };
}

describe("failed sign-ins", () => {
  it("slow the guessing address with 429 and Retry-After, while the owner signs in from elsewhere (no lock from anywhere)", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await attempt("thr-a", "owner@thr-a.test", "wrong guess!", "203.0.113.66")).status);
    expect(statuses).toEqual([401, 401, 401]);
    const held = await attempt("thr-a", "owner@thr-a.test", PASSWORD, "203.0.113.66");
    expect(held.status).toBe(429);
    expect(held.retryAfter).toBe(30);

    const owner = await attempt("thr-a", "owner@thr-a.test", PASSWORD, "198.51.100.5");
    expect(owner.status).toBe(303);
    expect((await owner.browser.get("/t/thr-a/contacts")).status).toBe(200);
  });

  it("a device the account signed in from keeps working while guesses from everywhere hold the account back for other browsers", async () => {
    const device = await attempt("thr-b", "owner@thr-b.test", PASSWORD, "198.51.100.10");
    expect(device.status).toBe(303);
    const cookie = device.response.headers.getSetCookie().find((c) => c.startsWith("crm_device="));
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Lax");
    expect(cookie).toContain("Path=/t/thr-b");
    expect(cookie).toContain(`Max-Age=${365 * 86_400}`);
    // The member signs in too, on their own browser: their device is theirs, not the owner's.
    const member = await attempt("thr-b", "member@thr-b.test", PASSWORD, "198.51.100.11");
    expect(member.status).toBe(303);

    // Guesses at the owner's password from six addresses, one each: the account's allowance from anywhere.
    for (let i = 0; i < 6; i++) {
      expect(
        (await attempt("thr-b", "owner@thr-b.test", "wrong guess!", `203.0.113.${100 + i}`)).status,
      ).toBe(401);
    }
    const stranger = await attempt("thr-b", "owner@thr-b.test", PASSWORD, "198.51.100.12");
    expect(stranger.status).toBe(429);
    expect(stranger.retryAfter).toBeGreaterThan(0);

    // The owner's own browser, signed out since and at an address it never used, signs in.
    await device.browser.get("/t/thr-b/contacts");
    expect((await device.browser.post("/t/thr-b/logout", {})).status).toBe(303);
    expect(device.browser.cookie("crm_session")).toBeUndefined();
    const travelling = await attempt("thr-b", "owner@thr-b.test", PASSWORD, "192.0.2.77", device.browser);
    expect(travelling.status).toBe(303);
    expect((await device.browser.get("/t/thr-b/contacts")).text).toContain("Owner · owner");

    // A device cookie proves nothing for another account, altered, or carried to another workspace.
    const memberDevice = member.browser.cookie("crm_device") as string;
    const ownerDevice = device.browser.cookie("crm_device") as string;
    const forged = `${ownerDevice.slice(0, -2)}${ownerDevice.endsWith("AA") ? "BB" : "AA"}`;
    for (const value of [memberDevice, forged]) {
      const browser = new BrowserClient(server.url);
      browser.setCookie("crm_device", value, "/t/thr-b");
      expect((await attempt("thr-b", "owner@thr-b.test", PASSWORD, "198.51.100.13", browser)).status).toBe(
        429,
      );
    }
    // A device of another workspace is not one of this workspace's (its signature covers the workspace: device-tokens.test.ts).
    const elsewhere = await attempt("thr-x", "owner@thr-x.test", PASSWORD, "198.51.100.14");
    expect(elsewhere.status).toBe(303);
    const carried = new BrowserClient(server.url);
    carried.setCookie("crm_device", elsewhere.browser.cookie("crm_device") as string, "/t/thr-b");
    expect((await attempt("thr-b", "owner@thr-b.test", PASSWORD, "198.51.100.15", carried)).status).toBe(429);
  });
});

describe("where sign-in returns to", () => {
  it("refuses a `next` with control characters: home instead, never a 500 or a split header", async () => {
    for (const next of [
      "/t/thr-c/contacts\r\nSet-Cookie: planted=1",
      "/t/thr-c/deals\n",
      "/t/thr-c/\u0000tasks",
      "/t/thr-c/x\u0085",
    ]) {
      const client = new BrowserClient(server.url);
      await client.get("/t/thr-c/login");
      const response = await client.post("/t/thr-c/login", {
        email: "owner@thr-c.test",
        password: PASSWORD,
        next,
      });
      expect({ next, status: response.status }).toEqual({ next, status: 303 });
      expect(response.headers.get("location")).toBe("/t/thr-c/contacts");
      expect(client.cookie("planted")).toBeUndefined();
      // Signed in now: the login page sends a signed-in visitor on, and the same `next` is refused there too.
      const again = await client.get(`/t/thr-c/login?next=${encodeURIComponent(next)}`);
      expect(again.status).toBe(303);
      expect(again.headers.get("location")).toBe("/t/thr-c/contacts");
    }
    // A plain path inside the workspace still works.
    const client = new BrowserClient(server.url);
    await client.get("/t/thr-c/login");
    const fine = await client.post("/t/thr-c/login", {
      email: "owner@thr-c.test",
      password: PASSWORD,
      next: "/t/thr-c/deals?view=board",
    });
    expect(fine.headers.get("location")).toBe("/t/thr-c/deals?view=board");
  });
});

describe("a client that hangs up mid-body", () => {
  /** Sends a request's head and part of its body, waits until the server has taken it up (100 Continue), then hangs up. */
  async function hangUp(path: string, headers: Record<string, string>): Promise<void> {
    const url = new URL(server.url);
    const socket = connect(Number(url.port), url.hostname);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const continued = new Promise<void>((resolve) => {
      socket.on("data", (chunk) => {
        if (chunk.toString().includes("100 Continue")) resolve();
      });
    });
    const head = Object.entries({
      host: url.host,
      "content-length": "1000",
      expect: "100-continue",
      ...headers,
    })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join("");
    socket.write(`POST ${path} HTTP/1.1\r\n${head}\r\n`);
    await continued;
    socket.write("email=owner%40thr-c.test&pass");
    socket.destroy();
  }

  it("is logged as a client abort (499, warn) on a form and on the API, never as a server error", async () => {
    const key = await data.apiKey("thr-c", "member");
    const cases: [string, Record<string, string>][] = [
      [
        "/t/thr-c/login",
        { "content-type": "application/x-www-form-urlencoded", "x-request-id": "hang-up-form" },
      ],
      [
        "/api/v1/t/thr-c/contacts",
        { "content-type": "application/json", authorization: `Bearer ${key}`, "x-request-id": "hang-up-api" },
      ],
    ];
    for (const [path, headers] of cases) {
      await hangUp(path, headers);
      const line = await server.waitForLine(
        (l) => l.msg === "request" && l.requestId === headers["x-request-id"],
      );
      expect(line).toMatchObject({ level: "warn", status: 499, clientAbort: true });
    }
    // The server still answers, and logged no error for either.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const errors = server.lines.filter((l) => l.includes('"level":"error"') && l.includes("hang-up"));
    expect(errors).toEqual([]);
  });
});
