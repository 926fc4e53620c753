import { z } from "zod";
import { NotFoundError, ValidationError } from "../core/errors.ts";
import { parseOrThrow, plainText } from "../core/validation.ts";
import { requireRole } from "../identity/roles.ts";
import type { Actor } from "../identity/viewer.ts";
import { logRecordUpdates } from "../record-updates/log-record-updates.ts";
import type { Shard } from "../tenancy/shard.ts";
import { getPipeline, type PipelineWithStages } from "./pipelines.ts";
import { STAGE_KINDS, type Stage, type StageKind } from "./schema.ts";

export const stageInput = z.object({
  name: plainText(60).min(1, "is required"),
  // JSON numbers only: no Number() coercion of null, "", booleans, arrays or "0x10" (forms
  // turn their digits into numbers first: src/core/form-numbers.ts).
  probability: z
    .number({ error: "must be a number" })
    .int("must be a whole number")
    .min(0, "must be 0–100")
    .max(100, "must be 0–100"),
  kind: z.enum(STAGE_KINDS, "must be open, won or lost").default("open"),
});

export const pipelineInput = z.object({
  name: plainText(60).min(1, "is required"),
  stages: z.array(stageInput).min(1, "a pipeline needs at least one stage").max(20).optional(),
});

/** A stage change: only what is sent changes (no defaults here: a reorder must not reopen a won stage). */
export const stagePatchInput = z
  .object({
    name: stageInput.shape.name,
    probability: stageInput.shape.probability,
    kind: z.enum(STAGE_KINDS, "must be open, won or lost"),
    position: z
      .number({ error: "must be a number" })
      .int("must be a whole number")
      .min(0, "must be 0 or more"),
  })
  .partial();

export type StageInput = z.output<typeof stageInput>;

const DEFAULT_STAGES: StageInput[] = [
  { name: "New", probability: 10, kind: "open" },
  { name: "In progress", probability: 50, kind: "open" },
  { name: "Won", probability: 100, kind: "won" },
  { name: "Lost", probability: 0, kind: "lost" },
];

function nameTaken(shard: Shard, name: string, exceptId = 0): boolean {
  return Boolean(
    shard.statement("SELECT 1 FROM pipelines WHERE name = ? COLLATE NOCASE AND id <> ?").get(name, exceptId),
  );
}

// Changing pipelines and stages: owners and admins only. Each change checks the actor's role
// before it reads its input or the workspace, so the settings tab and the API pass one guard.

/** A new pipeline, with the default stages unless `stages` are given (`raw`: see pipelineInput). */
export function createPipeline(
  shard: Shard,
  actor: Actor,
  raw: unknown,
  now = Date.now(),
): PipelineWithStages {
  requireRole(actor.role, "admin");
  const input = parseOrThrow(pipelineInput, raw);
  const id = shard.transaction(() => {
    if (nameTaken(shard, input.name))
      throw new ValidationError([{ field: "name", message: "is already a pipeline" }]);
    const position = (
      shard.statement("SELECT ifnull(max(position), -1) + 1 AS p FROM pipelines").get() as { p: number }
    ).p;
    const { id } = shard
      .statement(
        "INSERT INTO pipelines (name, position, created_at, updated_at) VALUES (?, ?, ?, ?) RETURNING id",
      )
      .get(input.name, position, now, now) as { id: number };
    for (const [i, stage] of (input.stages ?? DEFAULT_STAGES).entries())
      insertStage(shard, id, stage, i, now);
    return id;
  });
  return getPipeline(shard, id);
}

function insertStage(shard: Shard, pipelineId: number, s: StageInput, position: number, now: number): number {
  return (
    shard
      .statement(
        "INSERT INTO stages (pipeline_id, name, position, probability, kind, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
      )
      .get(pipelineId, s.name, position, s.probability, s.kind, now) as { id: number }
  ).id;
}

/** Renames a pipeline (`raw`: `{ name }`). */
export function renamePipeline(shard: Shard, actor: Actor, id: number, raw: unknown): PipelineWithStages {
  requireRole(actor.role, "admin");
  const { name } = parseOrThrow(pipelineInput.pick({ name: true }), raw);
  shard.transaction(() => {
    getPipeline(shard, id);
    if (nameTaken(shard, name, id))
      throw new ValidationError([{ field: "name", message: "is already a pipeline" }]);
    shard.statement("UPDATE pipelines SET name = ?, updated_at = ? WHERE id = ?").run(name, Date.now(), id);
  });
  return getPipeline(shard, id);
}

function dealsIn(shard: Shard, column: "pipeline_id" | "stage_id", id: number): number {
  return (shard.statement(`SELECT count(*) AS n FROM deals WHERE ${column} = ?`).get(id) as { n: number }).n;
}

/** Deletes a pipeline that has no deals (move or delete them first); the last pipeline stays. */
export function deletePipeline(shard: Shard, actor: Actor, id: number): void {
  requireRole(actor.role, "admin");
  shard.transaction(() => {
    getPipeline(shard, id);
    const deals = dealsIn(shard, "pipeline_id", id);
    if (deals) throw new ValidationError([{ field: "pipeline", message: `still has ${deals} deal(s)` }]);
    const count = (shard.statement("SELECT count(*) AS n FROM pipelines").get() as { n: number }).n;
    if (count === 1) throw new ValidationError([{ field: "pipeline", message: "is the only pipeline" }]);
    shard.statement("DELETE FROM pipelines WHERE id = ?").run(id);
  });
}

function requireStage(shard: Shard, id: number): Stage {
  const stage = shard
    .statement("SELECT id, pipeline_id AS pipelineId, position FROM stages WHERE id = ?")
    .get(id) as Stage | null;
  if (!stage) throw new NotFoundError("stage");
  return stage;
}

/** Adds a stage to a pipeline (`raw`: see stageInput); returns the pipeline. */
export function addStage(
  shard: Shard,
  actor: Actor,
  pipelineId: number,
  raw: unknown,
  now = Date.now(),
): PipelineWithStages {
  requireRole(actor.role, "admin");
  const input = parseOrThrow(stageInput, raw);
  shard.transaction(() => {
    const pipeline = getPipeline(shard, pipelineId);
    if (pipeline.stages.length >= 20)
      throw new ValidationError([{ field: "stages", message: "at most 20 stages" }]);
    // New open stages go before the closing (won/lost) ones.
    const firstClosed = pipeline.stages.find((s) => s.kind !== "open");
    const position = input.kind === "open" && firstClosed ? firstClosed.position : pipeline.stages.length;
    shard
      .statement("UPDATE stages SET position = position + 1 WHERE pipeline_id = ? AND position >= ?")
      .run(pipelineId, position);
    insertStage(shard, pipelineId, input, position, now);
  });
  return getPipeline(shard, pipelineId);
}

/** An epoch-ms column as the API shows it (ISO 8601, UTC), or NULL. */
const isoOf = (column: string) => `strftime('%Y-%m-%dT%H:%M:%fZ', ${column} / 1000.0, 'unixepoch')`;

/**
 * The deals in a stage whose kind changed take its status, as a move into such a stage sets
 * them (src/deals/move-deal.ts): closed now when it became won or lost, open again (no
 * closedAt) when it became open, a lost reason only while lost. Each gets a `deal.updated`
 * entry with what changed and a new updatedAt: set-based, two statements and the change's
 * UPDATE whatever the number of deals (scripts/bench/fan-out-writes.ts).
 */
function closeDealsIn(shard: Shard, actor: Actor, stageId: number, kind: StageKind, now: number): void {
  const closedAt = kind === "open" ? null : now;
  logRecordUpdates(
    shard,
    actor,
    {
      type: "deal",
      // A lost reason goes when the deal is no longer lost: logged only when there was one.
      rows: `SELECT id, json_object('changes', CASE WHEN lost_reason IS NOT NULL AND ? <> 'lost'
          THEN json_set(changes, '$.lostReason', json_array(lost_reason, NULL)) ELSE json(changes) END) AS payload
        FROM (SELECT id, lost_reason, json_object(
            'status', json_array(status, ?),
            'closedAt', json_array(${isoOf("closed_at")}, ${isoOf("?")})) AS changes
          FROM deals WHERE stage_id = ?)`,
      params: [kind, kind, closedAt, stageId],
    },
    now,
  );
  shard
    .statement(
      `UPDATE deals SET status = ?1, closed_at = ?2, lost_reason = CASE WHEN ?1 = 'lost' THEN lost_reason END
       WHERE stage_id = ?3`,
    )
    .run(kind, closedAt, stageId);
}

/**
 * Changes a stage: name, probability, kind (deals in it take the new status), position
 * (the others shift to make room). Returns its pipeline.
 */
export function updateStage(
  shard: Shard,
  actor: Actor,
  id: number,
  raw: unknown,
  now = Date.now(),
): PipelineWithStages {
  requireRole(actor.role, "admin");
  const patch = parseOrThrow(stagePatchInput, raw);
  let pipelineId = 0;
  shard.transaction(() => {
    const stage = requireStage(shard, id);
    pipelineId = stage.pipelineId;
    const current = shard
      .statement("SELECT name, probability, kind FROM stages WHERE id = ?")
      .get(id) as StageInput;
    const next = {
      ...current,
      ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)),
    };
    shard
      .statement("UPDATE stages SET name = ?, probability = ?, kind = ? WHERE id = ?")
      .run(next.name, next.probability, next.kind, id);
    if (next.kind !== current.kind) closeDealsIn(shard, actor, id, next.kind, now);
    if (patch.position !== undefined && patch.position !== stage.position) {
      const ids = (
        shard
          .statement("SELECT id FROM stages WHERE pipeline_id = ? AND id <> ? ORDER BY position, id")
          .all(pipelineId, id) as {
          id: number;
        }[]
      ).map((r) => r.id);
      ids.splice(Math.min(patch.position, ids.length), 0, id);
      for (const [position, stageId] of ids.entries()) {
        shard.statement("UPDATE stages SET position = ? WHERE id = ?").run(position, stageId);
      }
    }
  });
  return getPipeline(shard, pipelineId);
}

/** Deletes a stage with no deals in it; a pipeline keeps at least one stage. */
export function deleteStage(shard: Shard, actor: Actor, id: number): PipelineWithStages {
  requireRole(actor.role, "admin");
  let pipelineId = 0;
  shard.transaction(() => {
    const stage = requireStage(shard, id);
    pipelineId = stage.pipelineId;
    const deals = dealsIn(shard, "stage_id", id);
    if (deals)
      throw new ValidationError([
        { field: "stageId", message: `still has ${deals} deal(s); move them first` },
      ]);
    const left = (
      shard.statement("SELECT count(*) AS n FROM stages WHERE pipeline_id = ?").get(pipelineId) as {
        n: number;
      }
    ).n;
    if (left === 1)
      throw new ValidationError([{ field: "stageId", message: "is the pipeline's only stage" }]);
    shard.statement("DELETE FROM stages WHERE id = ?").run(id);
    shard
      .statement("UPDATE stages SET position = position - 1 WHERE pipeline_id = ? AND position > ?")
      .run(pipelineId, stage.position);
  });
  return getPipeline(shard, pipelineId);
}
