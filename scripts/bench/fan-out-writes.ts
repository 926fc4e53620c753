/**
 * Benchmark: writes that reach thousands of records outside their own services, each of which
 * now gives every record it changes a `*.updated` log entry and a new updated_at in the same
 * transaction (src/record-updates/log-record-updates.ts). They run on the server's thread, so
 * each must stay within the ~20 ms a request may hold the event loop (ARCHITECTURE invariant 10).
 * Over a workspace of N deals in one stage and N contacts owned by one user holding a select
 * custom value, each round times, in this process (the synchronous time is what blocks the loop):
 *   stage kind     PATCH /stages/<id> {kind}: open → won → open (updateStage), per change;
 *   field options  PATCH /custom-fields/<id> taking the option every contact holds (updateField);
 *   field delete   DELETE /custom-fields/<id> of a text field every contact holds (deleteField);
 *   user removal   Settings → Users → Remove of the user owning every contact (removeUser);
 *   reference      the stage change as it was before: one bare `UPDATE deals SET status`.
 * Each change is now sent to a worker past 1,000 records (src/http/in-pool-when-large.ts): what
 * stays on the server's thread is the indexed count that decides it, timed before each write.
 * Printed: medians per operation in ms, each one's ratio to the reference, the count's median,
 * and the command.
 *
 * Usage: bun scripts/bench/fan-out-writes.ts [--records N] [--rounds N]
 */
import "./bench-env.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createTenant } from "../../src/auth/create-tenant.ts";
import { removalReach, removeUser } from "../../src/auth/manage-users.ts";
import { PasswordHasher } from "../../src/auth/password-hasher.ts";
import { fieldChangeReach } from "../../src/custom-fields/change-field.ts";
import { createField, deleteField, updateField } from "../../src/custom-fields/manage-fields.ts";
import { type Actor, SYSTEM_ACTOR } from "../../src/identity/viewer.ts";
import { stageChangeReach } from "../../src/pipelines/change-stage.ts";
import { updateStage } from "../../src/pipelines/manage-pipelines.ts";
import { Catalog } from "../../src/tenancy/catalog.ts";
import type { Shard } from "../../src/tenancy/shard.ts";
import { ShardManager } from "../../src/tenancy/shard-manager.ts";
import { median } from "./wrk.ts";

const { values } = parseArgs({
  options: { records: { type: "string", default: "30000" }, rounds: { type: "string", default: "5" } },
  strict: true,
});
const records = Number(values.records);
const rounds = Number(values.rounds);
const owner: Actor = { ...SYSTEM_ACTOR, type: "user", id: 1 };

/** N deals in the first pipeline's first stage and N contacts, in one transaction. */
function fill(shard: Shard): { stageId: number } {
  const stage = shard
    .statement("SELECT id, pipeline_id AS pipelineId FROM stages ORDER BY id LIMIT 1")
    .get() as {
    id: number;
    pipelineId: number;
  };
  const now = Date.now();
  shard.transaction(() => {
    shard
      .statement(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
         INSERT INTO deals (title, amount_cents, currency, pipeline_id, stage_id, status, stage_entered_at, created_at, updated_at)
         SELECT 'Deal ' || i, i * 100, 'EUR', ?, ?, 'open', ?, ?, ? FROM n`,
      )
      .run(records, stage.pipelineId, stage.id, now, now, now);
    shard
      .statement(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
         INSERT INTO contacts (first_name, last_name, email, created_at, updated_at)
         SELECT 'P' || i, 'Q' || i, 'p' || i || '@fan.test', ?, ? FROM n`,
      )
      .run(records, now, now);
  });
  return { stageId: stage.id };
}

/** A member owning every contact, made directly (no password hashing in the loop). */
function ownerOfAll(shard: Shard, round: number): number {
  return shard.transaction(() => {
    const { id } = shard
      .statement(
        "INSERT INTO users (email, name, password_hash, role, created_at, updated_at) VALUES (?, 'Leaver', 'x', 'member', ?, ?) RETURNING id",
      )
      .get(`leaver${round}@fan.test`, Date.now(), Date.now()) as { id: number };
    shard.statement("UPDATE contacts SET owner_id = ?").run(id);
    return id;
  });
}

/** A custom field of the contacts every contact holds a value of (`gold` for a select). */
function heldField(shard: Shard, type: "select" | "text", round: number): number {
  const field = createField(shard, owner, {
    entity: "contact",
    key: `f_${type}_${round}`,
    label: `F ${type} ${round}`,
    type,
    ...(type === "select" ? { options: ["gold", "silver"] } : {}),
  });
  shard.transaction(() =>
    shard
      .statement(
        "INSERT INTO custom_values (field_id, record_id, text_value) SELECT ?, id, 'gold' FROM contacts",
      )
      .run(field.id),
  );
  return field.id;
}

const time = (work: () => void): number => {
  const began = performance.now();
  work();
  return performance.now() - began;
};

const dir = mkdtempSync(join(tmpdir(), "crm-bench-fan-out-"));
const catalog = Catalog.open(dir);
const shards = new ShardManager({ dataDir: dir, maxOpen: 4 });
try {
  const hasher = new PasswordHasher({ concurrency: 1, maxWaiting: 1, memoryCostKiB: 4096, timeCost: 1 });
  const { tenant } = await createTenant(catalog, hasher, {
    slug: "fan-out",
    name: "Fan out",
    ownerName: "Owner",
    ownerEmail: "owner@fan.test",
    ownerPassword: "fan out bench password",
  });
  const figures = await shards.use(tenant, (shard) => {
    const { stageId } = fill(shard);
    // What each change now costs the server's thread: the indexed count that sends it to a
    // worker past FANOUT_IN_REQUEST records (src/http/in-pool-when-large.ts); the write itself
    // (timed above it, as before) runs in the worker.
    const counted: Record<string, number[]> = {
      "stage kind": [],
      "field options": [],
      "field delete": [],
      "user removal": [],
    };
    const ms: Record<string, number[]> = {
      reference: [],
      "stage kind": [],
      "field options": [],
      "field delete": [],
      "user removal": [],
    };
    for (let round = 0; round < rounds; round++) {
      ms.reference?.push(
        time(() =>
          shard.transaction(() =>
            shard.statement("UPDATE deals SET status = ? WHERE stage_id = ?").run("open", stageId),
          ),
        ),
      );
      for (const kind of ["won", "open"] as const) {
        counted["stage kind"]?.push(time(() => stageChangeReach(shard, stageId, { kind })));
        ms["stage kind"]?.push(time(() => updateStage(shard, owner, stageId, { kind })));
      }
      const select = heldField(shard, "select", round);
      const options = { id: select, op: "update" as const, body: { options: ["silver"] } };
      counted["field options"]?.push(time(() => fieldChangeReach(shard, options)));
      ms["field options"]?.push(time(() => updateField(shard, owner, select, { options: ["silver"] })));
      const text = heldField(shard, "text", round);
      counted["field delete"]?.push(time(() => fieldChangeReach(shard, { id: text, op: "delete" })));
      ms["field delete"]?.push(time(() => deleteField(shard, owner, text)));
      const leaver = ownerOfAll(shard, round);
      counted["user removal"]?.push(time(() => removalReach(shard, leaver)));
      ms["user removal"]?.push(time(() => removeUser(shard, owner, leaver)));
    }
    const medians = (lists: Record<string, number[]>) =>
      Object.fromEntries(Object.entries(lists).map(([name, list]) => [name, median(list)]));
    return { writes: medians(ms), counts: medians(counted) };
  });
  const reference = figures.writes.reference as number;
  console.log(`${records.toLocaleString("en-US")} records per change, median of ${rounds} rounds:`);
  for (const [name, value] of Object.entries(figures.writes)) {
    const count = figures.counts[name];
    console.log(
      `  ${name.padEnd(14)} ${value.toFixed(1).padStart(7)} ms  ${(value / reference).toFixed(1).padStart(5)}× the reference${
        count === undefined
          ? ""
          : `  (was all on the server's thread; now ${count.toFixed(2)} ms there, the count, and the write in a worker)`
      }`,
    );
  }
  console.log(`command: bun scripts/bench/fan-out-writes.ts --records ${records} --rounds ${rounds}`);
} finally {
  shards.closeAll();
  catalog.close();
  rmSync(dir, { recursive: true, force: true });
}
