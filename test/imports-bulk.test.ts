import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { createCompany } from "../src/companies/create-company.ts";
import type { ContactCreate } from "../src/contacts/contact-input.ts";
import { createContact } from "../src/contacts/create-contact.ts";
import { createContacts } from "../src/contacts/create-contacts.ts";
import { ValidationError } from "../src/core/errors.ts";
import { listFields } from "../src/custom-fields/field-definitions.ts";
import { parseCustomValues, type WithCustomFields } from "../src/custom-fields/field-values.ts";
import { createField } from "../src/custom-fields/manage-fields.ts";
import { SYSTEM_ACTOR } from "../src/identity/viewer.ts";
import { BulkCreates } from "../src/imports/bulk-creates.ts";
import { createImport } from "../src/imports/imports.ts";
import { ImportJournal } from "../src/imports/journal.ts";
import { Lookups } from "../src/imports/lookups.ts";
import type { Shard } from "../src/tenancy/shard.ts";
import { ShardManager } from "../src/tenancy/shard-manager.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir } from "./support/workspace.ts";

// The import writes new contacts several at a time (createContacts) instead of one by one
// (createContact): the workspace must end up holding exactly the same, and a refused group must
// fall back to one by one so that only the refused row is left out.

const dir = tempDir();
const data = new DataDir(dir.path);
afterAll(() => {
  data.close();
  dir.remove();
});

type Row = Record<string, unknown>;
const use = <T>(slug: string, fn: (shard: Shard) => T) => data.shards.use(data.get(slug), fn);
const rows = (shard: Shard, sql: string) => shard.statement(sql).all() as Row[];

/** Every id turned into its offset from the workspace's first contact (ids start at a random point per workspace). */
function dump(shard: Shard) {
  const base = (shard.statement("SELECT min(id) AS id FROM contacts").get() as { id: number }).id;
  const rel = (id: unknown) => (typeof id === "number" ? id - base : id);
  return {
    contacts: rows(
      shard,
      "SELECT id, first_name, last_name, email, phone, title, company_id IS NOT NULL AS hasCompany, owner_id IS NOT NULL AS hasOwner, tags, created_at, updated_at FROM contacts ORDER BY id",
    ).map((r) => ({ ...r, id: rel(r.id) })),
    tags: rows(
      shard,
      "SELECT x.contact_id AS contact, t.name FROM contact_tags x JOIN tags t ON t.id = x.tag_id ORDER BY 1, 2",
    ).map((r) => ({ ...r, contact: rel(r.contact) })),
    values: rows(
      shard,
      "SELECT v.record_id AS contact, f.key, v.text_value AS text FROM custom_values v JOIN custom_fields f ON f.id = v.field_id ORDER BY 1, 2",
    ).map((r) => ({ ...r, contact: rel(r.contact) })),
    log: rows(
      shard,
      "SELECT kind, subject_type AS type, subject_id AS subject, occurred_at AS at, actor_type AS actor, payload FROM interactions WHERE kind LIKE 'contact.%' ORDER BY id",
    ).map((r) => ({ ...r, subject: rel(r.subject) })),
    // The search index finds them (FTS triggers, as one by one).
    found: rows(
      shard,
      "SELECT rowid AS id FROM contacts_fts WHERE contacts_fts MATCH 'lovelace OR hopper OR analyst' ORDER BY rowid",
    ).map((r) => rel(r.id)),
  };
}

async function arrange(slug: string) {
  await data.tenant(slug);
  return use(slug, (shard) => {
    const company = createCompany(shard, SYSTEM_ACTOR, { name: "Analytical Engines", tags: [] });
    createField(shard, SYSTEM_ACTOR, { entity: "contact", key: "source", label: "Source", type: "text" });
    const owner = (shard.statement("SELECT min(id) AS id FROM users").get() as { id: number }).id;
    const fields = listFields(shard, "contact");
    const inputs: WithCustomFields<ContactCreate>[] = [
      {
        firstName: "Ada",
        lastName: "Lovelace",
        email: "ada@example.test",
        title: "Analyst",
        companyId: company.id,
        ownerId: owner,
        tags: ["vip", "poet"],
        customFields: parseCustomValues(fields, { source: "fair" }),
      },
      { firstName: "Grace", lastName: "Hopper", phone: "+1 555 0100", tags: ["vip"] },
      { firstName: "Anon", lastName: "", tags: [] },
    ];
    // Enough for statements of 32, 8 and 1 rows.
    const more = Array.from({ length: 42 }, (_, i) => ({
      firstName: `Person${i}`,
      lastName: "X",
      tags: ["bulk"],
    }));
    return { inputs, more, owner };
  });
}

describe("new contacts written several at a time", () => {
  const at = Date.UTC(2026, 0, 2);
  beforeAll(async () => {
    const one = await arrange("one-by-one");
    await use("one-by-one", (shard) => {
      for (const input of [...one.inputs, ...one.more]) createContact(shard, SYSTEM_ACTOR, input, at);
    });
    const bulk = await arrange("together");
    await use("together", (shard) => createContacts(shard, SYSTEM_ACTOR, [...bulk.inputs, ...bulk.more], at));
  });

  it("hold exactly what one by one writes: rows, tags, custom values, log entries, search", async () => {
    const expected = await use("one-by-one", dump);
    expect(expected.contacts).toHaveLength(45);
    expect(expected.found).toEqual([0, 1]);
    expect(expected.tags).toHaveLength(45);
    expect(expected.values as Row[]).toEqual([{ contact: 0, key: "source", text: "fair" }]);
    expect(await use("together", dump)).toEqual(expected);
  });

  it("refuse the whole group when one is refused, naming it, and write nothing", async () => {
    const { inputs } = await arrange("refused");
    const before = await use("refused", dump);
    const bad = [
      ...inputs.slice(1),
      { firstName: "Nobody", lastName: "", ownerId: 999_999_999, tags: ["new"] },
    ];
    let error: unknown;
    try {
      await use("refused", (shard) => createContacts(shard, SYSTEM_ACTOR, bad, at));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([
      { field: "2.ownerId", message: "is not a user of this workspace" },
    ]);
    expect(await use("refused", dump)).toEqual(before);
    expect(await use("refused", (s) => rows(s, "SELECT name FROM tags WHERE name = 'new'"))).toEqual([]);
  });

  it("in an import, a refused group is written one by one: only the refused row is left out, the rest journaled", async () => {
    const { inputs } = await arrange("fallback");
    const outcome = await use("fallback", (shard) => {
      const importId = createImport(shard, SYSTEM_ACTOR, {
        kind: "contact",
        fileName: "c.csv",
        storedFile: "c.csv",
        sizeBytes: 1,
        encoding: "utf-8",
        delimiter: ",",
        columns: ["First Name"],
        sample: { rows: [], estimatedRows: 3 },
        mapping: null,
      } as unknown as Parameters<typeof createImport>[2]);
      const journal = new ImportJournal(shard, importId);
      const bulk = new BulkCreates(shard, SYSTEM_ACTOR, journal, "contact");
      const bad = { firstName: "Nobody", lastName: "", ownerId: 999_999_999, tags: [] };
      const written: number[] = [];
      const queue = [inputs[1], bad, inputs[2]].map((input, i) => ({
        row: i + 2,
        input: input as Row,
        alone: () => {
          written.push(i + 2);
          try {
            const made = createContact(shard, SYSTEM_ACTOR, input as WithCustomFields<ContactCreate>, at);
            journal.created("contact", made.id, i + 2);
            return { result: "created" as const };
          } catch (error) {
            if (!(error instanceof ValidationError)) throw error;
            return { result: "rejected" as const, reasons: error.issues.map((x) => x.message) };
          }
        },
      }));
      journal.transaction(() => {
        for (const entry of queue) bulk.add(entry);
        bulk.flush();
      });
      return {
        written,
        refused: bulk.refused,
        journaled: rows(
          shard,
          `SELECT subject_type AS type, row FROM import_rows WHERE import_id = ${importId} AND subject_type = 'contact' ORDER BY row`,
        ),
        names: rows(shard, "SELECT first_name AS name FROM contacts ORDER BY id"),
      };
    });
    expect(outcome.written).toEqual([2, 3, 4]);
    expect(outcome.refused).toEqual([
      { row: 3, outcome: { result: "rejected", reasons: ["is not a user of this workspace"] } },
    ]);
    expect(outcome.journaled).toEqual([
      { type: "contact", row: 2 },
      { type: "contact", row: 4 },
    ]);
    expect(outcome.names).toEqual([{ name: "Grace" }, { name: "Anon" }]);
  });
});

describe("matching contacts by email during an import", () => {
  it("finds a contact another connection adds while the import runs (the emails read once are then set aside)", async () => {
    await data.tenant("matching");
    const tenant = data.get("matching");
    const other = new ShardManager({ dataDir: dir.path, maxOpen: 2 });
    try {
      await data.shards.use(tenant, async (shard) => {
        const first = createContact(shard, SYSTEM_ACTOR, {
          firstName: "Ada",
          lastName: "",
          email: "ada@x.test",
          tags: [],
        });
        const lookups = new Lookups(shard);
        expect(lookups.contactByEmail("ada@x.test")).toBe(first.id);
        expect(lookups.contactByEmail("grace@x.test")).toBeUndefined();
        // A person adds Grace through the server (another connection) between two chunks.
        const grace = await other.use(tenant, (s) =>
          createContact(s, SYSTEM_ACTOR, {
            firstName: "Grace",
            lastName: "",
            email: "grace@x.test",
            tags: [],
          }),
        );
        await Promise.resolve(); // the next chunk is another synchronous run
        expect(lookups.contactByEmail("grace@x.test")).toBe(grace.id);
        expect(lookups.contactByEmail("ada@x.test")).toBe(first.id);
      });
    } finally {
      other.closeAll();
    }
  });
});
