import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir, PASSWORD } from "./support/workspace.ts";

/**
 * Sign-up is limited per client address and for everyone together, and the hashing it needs
 * never takes sign-in's: a flood of sign-ups cannot turn a correct sign-in into a 503.
 */

const dir = tempDir();
let data: DataDir;

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant("steady-co", "owner@steady.test");
});

afterAll(() => {
  data.close();
  dir.remove();
});

/** A visitor at `ip` (through the trusted proxy) who has the sign-up form and its token. */
async function visitor(base: string, ip: string) {
  const client = new BrowserClient(base);
  await client.get("/signup");
  expect(client.csrfToken).not.toBe("");
  return (slug: string) =>
    client.post(
      "/signup",
      {
        name: `${slug} Ltd`,
        slug,
        ownerName: "Owner",
        ownerEmail: `owner@${slug}.test`,
        ownerPassword: PASSWORD,
      },
      { "x-forwarded-for": ip },
    );
}

describe("sign-up limits", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      dataDir: dir.path,
      env: { CRM_TRUST_PROXY: "true", CRM_SIGNUPS_PER_IP: "3", CRM_SIGNUPS_GLOBAL: "6" },
    });
  });
  afterAll(async () => {
    await server.stop();
  });

  it("an address gets 429 with Retry-After past its sign-ups, and nothing past the limit is created; everyone together has a limit too", async () => {
    const first = await visitor(server.url, "198.51.100.20");
    const statuses: number[] = [];
    for (const n of [1, 2, 3, 4, 5]) {
      const response = await first(`flood-a${n}`);
      statuses.push(response.status);
      if (n > 3) {
        expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
        expect(response.text).toContain("too many sign-ups from your address");
      }
    }
    expect(statuses).toEqual([303, 303, 303, 429, 429]);
    const created = (prefix: string) =>
      data.catalog
        .list()
        .map((t) => t.slug)
        .filter((slug) => slug.startsWith(prefix))
        .sort();
    expect(created("flood-a")).toEqual(["flood-a1", "flood-a2", "flood-a3"]);

    // A typo is not counted: an address over its limit still gets its form's errors.
    const typo = await first("Bad Slug!");
    expect(typo.status).toBe(422);

    // Another address has its own allowance, until everyone's (6) is used up.
    const second = await visitor(server.url, "198.51.100.21");
    for (const n of [1, 2, 3]) expect((await second(`flood-b${n}`)).status).toBe(303);
    const third = await visitor(server.url, "198.51.100.22");
    const refused = await third("flood-c1");
    expect(refused.status).toBe(429);
    expect(refused.text).toContain("too many new workspaces right now");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(created("flood-")).toEqual([
      "flood-a1",
      "flood-a2",
      "flood-a3",
      "flood-b1",
      "flood-b2",
      "flood-b3",
    ]);
  });
});

describe("hashing reserved for sign-in", () => {
  it("while a flood of sign-ups saturates password hashing, correct sign-ins still succeed", async () => {
    // Real argon2id costs, and the least hashing capacity there is: one at a time, one waiting.
    const server = await startServer({
      dataDir: dir.path,
      env: {
        CRM_ARGON2_MEMORY_KIB: "65536",
        CRM_ARGON2_TIME_COST: "2",
        CRM_HASH_CONCURRENCY: "1",
        CRM_HASH_MAX_WAITING: "1",
        CRM_TRUST_PROXY: "true",
        CRM_SIGNUPS_PER_IP: "1000",
        CRM_SIGNUPS_GLOBAL: "1000",
      },
    });
    try {
      let flooding = true;
      const answers: { slug: string; status: number }[] = [];
      let saturated!: () => void;
      const firstRefusal = new Promise<void>((resolve) => {
        saturated = resolve;
      });
      const loops = Array.from({ length: 6 }, async (_, loop) => {
        const signUp = await visitor(server.url, `203.0.113.${loop + 1}`);
        for (let n = 0; flooding; n++) {
          const slug = `busy-${loop}-${n}`;
          const { status } = await signUp(slug);
          answers.push({ slug, status });
          if (status === 503) saturated();
        }
      });
      // Hashing is saturated once the flood itself is being turned away.
      await firstRefusal;

      const signIns: number[] = [];
      for (let i = 0; i < 5; i++) {
        const client = new BrowserClient(server.url);
        await client.get("/t/steady-co/login");
        const response = await client.post(
          "/t/steady-co/login",
          { email: "owner@steady.test", password: PASSWORD },
          { "x-forwarded-for": "192.0.2.50" },
        );
        signIns.push(response.status);
      }
      flooding = false;
      await Promise.all(loops);

      expect(signIns).toEqual([303, 303, 303, 303, 303]);
      // The flood was answered, never with an error: created, or refused as busy and then not created.
      expect(answers.every((a) => a.status === 303 || a.status === 503)).toBe(true);
      const slugs = new Set(data.catalog.list().map((t) => t.slug));
      for (const a of answers)
        expect({ slug: a.slug, created: slugs.has(a.slug) }).toEqual({
          slug: a.slug,
          created: a.status === 303,
        });
    } finally {
      await server.stop();
    }
  });
});
