import { afterAll, describe, expect, it } from "bun:test";
import { tempDir } from "../../test/support/temp-dir.ts";
import { DataDir } from "../../test/support/workspace.ts";
import { SYSTEM_ACTOR } from "../auth/viewer.ts";
import { createContact } from "../contacts/create-contact.ts";
import { listContacts } from "../contacts/list-contacts.ts";
import { seedTenant } from "./seed-tenant.ts";

const dir = tempDir();
const data = new DataDir(dir.path);
afterAll(() => {
  data.close();
  dir.remove();
});

const DAY = 86_400_000;
const ANCHOR = Date.UTC(2026, 0, 1);

const dump = (slug: string) =>
  data.shards.use(data.get(slug), (s) => ({
    contacts: s
      .statement(
        "SELECT first_name, last_name, email, phone, title, company_id, owner_id, created_at FROM contacts ORDER BY id",
      )
      .all(),
    companies: s
      .statement("SELECT name, domain, phone, city, country, created_at FROM companies ORDER BY id")
      .all(),
    tags: s.statement("SELECT contact_id, tag_id FROM contact_tags ORDER BY 1, 2").all(),
  }));

describe("seedTenant", () => {
  it("is deterministic: the same seed and anchor give the same data, another seed does not", async () => {
    for (const slug of ["seed-a", "seed-b", "seed-c"]) await data.tenant(slug);
    await data.shards.use(data.get("seed-a"), (s) =>
      seedTenant(s, { contacts: 500, seed: 7, anchorMs: ANCHOR }),
    );
    await data.shards.use(data.get("seed-b"), (s) =>
      seedTenant(s, { contacts: 500, seed: 7, anchorMs: ANCHOR }),
    );
    await data.shards.use(data.get("seed-c"), (s) =>
      seedTenant(s, { contacts: 500, seed: 8, anchorMs: ANCHOR }),
    );
    const a = await dump("seed-a");
    expect(a.contacts.length).toBe(500);
    expect(a.companies.length).toBe(63);
    expect(await dump("seed-b")).toEqual(a);
    expect(await dump("seed-c")).not.toEqual(a);
  });

  it("makes plausible records: dates within three years, people after their company, emails at its domain", async () => {
    const rows = await data.shards.use(
      data.get("seed-a"),
      (s) =>
        s
          .statement(
            `SELECT c.email, c.created_at AS createdAt, co.domain, co.created_at AS companyCreatedAt
           FROM contacts c LEFT JOIN companies co ON co.id = c.company_id`,
          )
          .all() as {
          email: string | null;
          createdAt: number;
          domain: string | null;
          companyCreatedAt: number | null;
        }[],
    );
    for (const r of rows) {
      expect(r.createdAt).toBeLessThanOrEqual(ANCHOR);
      expect(r.createdAt).toBeGreaterThan(ANCHOR - 3 * 366 * DAY);
      if (r.companyCreatedAt !== null) expect(r.createdAt).toBeGreaterThanOrEqual(r.companyCreatedAt);
      if (r.email && r.domain) expect(r.email.endsWith(`@${r.domain}`)).toBe(true);
    }
    expect(rows.filter((r) => r.email).length / rows.length).toBeGreaterThan(0.7);
  });

  it("indexes what it loads for search in one pass, and leaves row-by-row indexing on for everything after", async () => {
    await data.shards.use(data.get("seed-a"), (shard) => {
      const someone = shard.statement("SELECT last_name AS lastName FROM contacts WHERE id = 123").get() as {
        lastName: string;
      };
      const found = listContacts(shard, { q: someone.lastName, limit: 200 });
      expect(found.rows.some((c) => c.id === 123)).toBe(true);
      expect(shard.statement("SELECT search_index_deferred AS d FROM shard_state").get()).toEqual({ d: 0 });
      const added = createContact(shard, SYSTEM_ACTOR, {
        firstName: "Zebedee",
        lastName: "Afterseed",
        tags: [],
      });
      expect(listContacts(shard, { q: "afterseed", limit: 10 }).rows.map((c) => c.id)).toEqual([added.id]);
      shard.sqlite.run("INSERT INTO contacts_fts(contacts_fts) VALUES ('integrity-check')");
    });
  });
});
