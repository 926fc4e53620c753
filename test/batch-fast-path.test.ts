import { beforeAll, describe, expect, it } from "bun:test";
import { NestedWriteFailedError } from "../src/tenancy/shard.ts";
import { type ApiCall, apiWorkspaces } from "./support/api-workspaces.ts";

/**
 * The batch's fast path (src/batch/batch-fast-path.ts: items checked first, matched in one
 * query, new contacts written in bulk, no savepoint per item) and its line (batch-lines.ts:
 * batches of one workspace sent together, one transaction): everything it writes is what the
 * one-by-one path writes, a refusal it meets at write time still writes nothing and names the
 * item, items that depend on each other are answered as if written one by one, and batches
 * sharing a transaction stay all or nothing each.
 */
const SLUG = "fast-home";
const workspaces = apiWorkspaces([SLUG]);
let owner: ApiCall;

const scalar = (sql: string, ...params: (string | number)[]) => workspaces.scalar(SLUG, sql, ...params);
const written = async () => ({
  contacts: await scalar("SELECT count(*) AS n FROM contacts"),
  log: await scalar("SELECT count(*) AS n FROM interactions"),
  tagLinks: await scalar("SELECT count(*) AS n FROM contact_tags"),
  values: await scalar("SELECT count(*) AS n FROM custom_values"),
  keys: await scalar("SELECT count(*) AS n FROM idempotency_keys"),
});
const batch = (body: object, headers: Record<string, string> = {}) =>
  owner("POST", `/t/${SLUG}/contacts/batch`, body, headers);
const statuses = (answer: { json: { results: { status: number }[] } }) =>
  answer.json.results.map((r) => r.status);

beforeAll(async () => {
  owner = await workspaces.key(SLUG);
  const field = await owner("POST", `/t/${SLUG}/custom-fields`, {
    entity: "contact",
    key: "tier",
    label: "Tier",
    type: "select",
    options: ["gold", "silver"],
  });
  expect(field.status).toBe(201);
});

describe("the fast path", () => {
  it("writes 100 new contacts as single POSTs would: rows, tags, custom values, log entries, answers in order", async () => {
    const before = await written();
    const items = Array.from({ length: 100 }, (_, k) => ({
      firstName: `Fast ${k}`,
      email: `Fast${k}@Example.org`,
      tags: k % 2 ? ["vip", "lead"] : [],
      customFields: k % 3 ? {} : { tier: "gold" },
      externalId: `fast-${k}`,
    }));
    const answer = await batch({ mode: "upsert", items });
    expect(answer.status).toBe(200);
    expect(statuses(answer)).toEqual(items.map(() => 201));
    expect(answer.json.data.map((c: { externalId: string }) => c.externalId)).toEqual(
      items.map((i) => i.externalId),
    );
    const after = await written();
    expect(after.contacts - before.contacts).toBe(100);
    expect(after.tagLinks - before.tagLinks).toBe(100);
    expect(after.values - before.values).toBe(34);
    expect(after.log - before.log).toBe(100);
    // Each answered record is the record as a GET shows it (engagement apart).
    for (const k of [0, 1, 99]) {
      const one = await owner("GET", `/t/${SLUG}/contacts/${answer.json.results[k].id}`);
      const { engagement: _e, ...record } = one.json;
      expect(answer.json.data[k]).toEqual(record);
    }
    expect(answer.json.data[1]).toMatchObject({
      email: "fast1@example.org",
      tags: ["lead", "vip"],
      customFields: {},
    });
    expect(answer.json.data[0].customFields).toEqual({ tier: "gold" });
    const entry = await scalar(
      "SELECT count(*) AS n FROM interactions WHERE kind = 'contact.created' AND subject_id = ? AND actor_type = 'api_key'",
      answer.json.results[5].id,
    );
    expect(entry).toBe(1);
  });

  it("writes nothing when an item is refused only at write time (unknown company, a stored externalId), naming it", async () => {
    const taken = await owner("POST", `/t/${SLUG}/contacts`, { firstName: "Holder", externalId: "held" });
    const before = await written();
    const items = Array.from({ length: 40 }, (_, k) => ({ firstName: `Late ${k}`, externalId: `late-${k}` }));
    items[7] = { ...items[7], companyId: 999_999 } as (typeof items)[number];
    items[30] = { firstName: "Clash", externalId: "held" };
    const answer = await batch({ mode: "create", items });
    expect(answer.status).toBe(422);
    expect(answer.json.results[7]).toMatchObject({ status: 422, errors: [{ field: "companyId" }] });
    expect(answer.json.results[30]).toEqual({
      index: 30,
      status: 422,
      errors: [{ field: "externalId", message: `is already the externalId of record ${taken.json.id}` }],
    });
    expect(statuses(answer).filter((s) => s === 424)).toHaveLength(38);
    expect(await written()).toEqual(before);
  });

  it("refuses an externalId repeated within a create batch, naming the first item, and writes nothing", async () => {
    const before = await written();
    const answer = await batch({
      mode: "create",
      items: [
        { firstName: "Twin A", externalId: "twin" },
        { firstName: "Other", externalId: "other-twin" },
        { firstName: "Twin B", externalId: "twin" },
      ],
    });
    expect(answer.status).toBe(422);
    expect(answer.json.results).toEqual([
      { index: 0, status: 424, errors: [] },
      { index: 1, status: 424, errors: [] },
      {
        index: 2,
        status: 422,
        errors: [{ field: "externalId", message: "is also the externalId of item 0: send each record once" }],
      },
    ]);
    expect(await written()).toEqual(before);
  });

  it("answers an email twice in one upsert as one by one: created, then updated (any case)", async () => {
    const answer = await batch({
      mode: "upsert",
      matchOn: "email",
      items: [
        { firstName: "Dup", email: "dup@example.org" },
        { firstName: "Dup", lastName: "Again", email: "DUP@example.org" },
      ],
    });
    expect(answer.status).toBe(200);
    expect(answer.json.results.map((r: { action: string }) => r.action)).toEqual(["created", "updated"]);
    expect(answer.json.results[1].id).toBe(answer.json.results[0].id);
    expect(answer.json.data[1].lastName).toBe("Again");
  });

  it("keeps item order across updates and creates: an externalId freed by an earlier item may be taken by a later one, not the reverse", async () => {
    const a = await owner("POST", `/t/${SLUG}/contacts`, { firstName: "Swap", externalId: "swap-x" });
    const freedFirst = await batch({
      mode: "upsert",
      matchOn: "email",
      items: [
        { firstName: "New", email: "swap-new@example.org", externalId: "swap-x" },
        { firstName: "Mixed", email: "swap-mixed@example.org" },
      ],
    });
    // The create comes first: swap-x is still Swap's, so it is refused and nothing is written.
    expect(freedFirst.status).toBe(422);
    expect(freedFirst.json.results[0].errors[0].field).toBe("externalId");
    const inOrder = await batch({
      mode: "update",
      items: [{ id: a.json.id, externalId: "swap-y" }],
    });
    expect(inOrder.status).toBe(200);
    const mixed = await batch({
      mode: "upsert",
      items: [
        { firstName: "Swap", externalId: "swap-y", title: "Kept" },
        { firstName: "Fresh", externalId: "swap-x" },
        { firstName: "Swap", externalId: "swap-y", title: "Kept" },
      ],
    });
    // swap-y named twice: answered one by one (updated, created, unchanged), in item order.
    expect(mixed.status).toBe(200);
    expect(mixed.json.results.map((r: { action: string }) => r.action)).toEqual([
      "updated",
      "created",
      "unchanged",
    ]);
    expect(mixed.json.data.map((c: { firstName: string }) => c.firstName)).toEqual(["Swap", "Fresh", "Swap"]);
  });

  it("writes only what changes: a custom value alone updates the record and logs it; the same batch again is unchanged", async () => {
    const made = await batch({ mode: "create", items: [{ firstName: "Cv", externalId: "cv-1" }] });
    const id = made.json.results[0].id;
    const changed = await batch({
      mode: "upsert",
      items: [{ externalId: "cv-1", customFields: { tier: "silver" } }],
    });
    expect(changed.json.results[0]).toEqual({ index: 0, status: 200, id, action: "updated" });
    expect(changed.json.data[0]).toMatchObject({ firstName: "Cv", customFields: { tier: "silver" } });
    const log = (await written()).log;
    const again = await batch({
      mode: "upsert",
      items: [{ externalId: "cv-1", customFields: { tier: "silver" } }],
    });
    expect(again.json.results[0].action).toBe("unchanged");
    expect((await written()).log).toBe(log);
  });
});

describe("batches of one workspace sent together", () => {
  it("stay all or nothing each: a refused batch among concurrent ones writes nothing, the others are written and keyed", async () => {
    const before = await written();
    const good = (n: number) => ({
      mode: "create",
      items: Array.from({ length: 20 }, (_, k) => ({
        firstName: `Group ${n}-${k}`,
        externalId: `group-${n}-${k}`,
      })),
    });
    const bad = { mode: "create", items: [{ firstName: "Fine" }, { firstName: "Bad", ownerId: 999_999 }] };
    const bodies = [good(0), good(1), bad, good(2), good(3), good(4)];
    const answers = await Promise.all(
      bodies.map((body, n) => batch(body, { "Idempotency-Key": `group-key-${n}` })),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 422, 200, 200, 200]);
    expect(answers[2]?.json.results[1]).toMatchObject({ status: 422, errors: [{ field: "ownerId" }] });
    const after = await written();
    expect(after.contacts - before.contacts).toBe(100);
    expect(after.log - before.log).toBe(100);
    expect(after.keys - before.keys).toBe(5);
    const replay = await batch(good(2), { "Idempotency-Key": "group-key-3" });
    expect(replay.status, replay.text).toBe(200);
    expect(replay.headers.get("Idempotency-Replayed")).toBe("true");
    expect(replay.text).toBe(answers[3]?.text ?? "");
  });
});

describe("the body, parsed in the worker", () => {
  it("answers malformed JSON and a non-object with the same 400 naming the body, and a bad envelope with a 422, writing nothing", async () => {
    const before = await written();
    const path = `/t/${SLUG}/contacts/batch`;
    for (const body of ["{", "[]", '"items"']) {
      const answer = await owner("POST", path, body);
      expect({ body, status: answer.status, field: answer.json.errors?.[0]?.field }).toEqual({
        body,
        status: 400,
        field: "body",
      });
    }
    const envelope = await owner("POST", path, { mode: "create", items: "none" });
    expect(envelope.status).toBe(422);
    expect(envelope.json.errors[0].field).toBe("items");
    expect(await written()).toEqual(before);
  });
});

describe("Shard.withoutSavepoints", () => {
  it("rolls back everything it wrote when a nested write failed, even one it caught; the enclosing transaction goes on", () =>
    workspaces.onShard(SLUG, (shard) => {
      const tags = () =>
        (
          shard.statement("SELECT name FROM tags WHERE name LIKE 'joined-%' ORDER BY name").all() as {
            name: string;
          }[]
        ).map((t) => t.name);
      shard.transaction(() => {
        shard.statement("INSERT INTO tags (name) VALUES ('joined-outer')").run();
        expect(() =>
          shard.withoutSavepoints(() => {
            shard.statement("INSERT INTO tags (name) VALUES ('joined-1')").run();
            try {
              shard.transaction(() => {
                shard.statement("INSERT INTO tags (name) VALUES ('joined-2')").run();
                throw new Error("refused");
              });
            } catch {
              // Caught, as a careless caller might: the whole must still go.
            }
          }),
        ).toThrow(NestedWriteFailedError);
      });
      expect(tags()).toEqual(["joined-outer"]);
      expect(() => shard.withoutSavepoints(() => 1)).toThrow("only inside a transaction");
    }));
});
