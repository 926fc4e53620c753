import { z } from "zod";
import { NotFoundError, ValidationError } from "../core/errors.ts";
import { plainText } from "../core/validation.ts";
import { requireRole } from "../identity/roles.ts";
import type { Actor } from "../identity/viewer.ts";
import type { Shard } from "../tenancy/shard.ts";
import { versionedCache } from "../tenancy/versioned-cache.ts";
import { type CheckedRules, checkRules } from "./check-rules.ts";
import { type SegmentCatalog, segmentCatalog } from "./segment-fields.ts";
import type { RuleGroup } from "./segment-rules.ts";

/** A saved segment, its rules as stored (checked when saved; checked again whenever run). */
export interface SegmentRecord {
  id: number;
  name: string;
  rules: RuleGroup;
  createdBy: number | null;
  createdAt: number;
  updatedAt: number;
}

export const MAX_SEGMENTS = 200;

const segmentName = plainText(100).min(1, "is required");

/** What creating a segment takes: a name, and its rules `{match, rules}` (checked by checkRules). */
export const segmentInput = z.object({
  name: z.string("must be text").pipe(segmentName),
  match: z.unknown().optional(),
  rules: z.unknown().optional(),
});

/** A change: any of the same, only those sent change (`match` and `rules` replace the rules as a whole). */
export const segmentPatchInput = segmentInput.partial();

type Row = Omit<SegmentRecord, "rules"> & { rules: string };

const COLUMNS = "id, name, rules, created_by AS createdBy, created_at AS createdAt, updated_at AS updatedAt";

function toRecord(row: Row): SegmentRecord {
  return { ...row, rules: JSON.parse(row.rules) as RuleGroup };
}

/** The workspace's segments by name (kept per shard version: the list page and the API ask). */
export function listSegments(shard: Shard): SegmentRecord[] {
  return versionedCache(shard, "segments", "all", 1, () =>
    (shard.statement(`SELECT ${COLUMNS} FROM segments ORDER BY name COLLATE NOCASE, id`).all() as Row[]).map(
      toRecord,
    ),
  );
}

/** The segment with `id` in this workspace, or a 404. */
export function getSegment(shard: Shard, id: number): SegmentRecord {
  const row = shard.statement(`SELECT ${COLUMNS} FROM segments WHERE id = ?`).get(id) as Row | null;
  if (!row) throw new NotFoundError("segment");
  return toRecord(row);
}

/** A segment's rules checked against the workspace as it is now (a field may have gone since it was saved). */
export function segmentRules(
  shard: Shard,
  segment: SegmentRecord,
  catalog = segmentCatalog(shard),
): CheckedRules {
  return checkRules(segment.rules, catalog);
}

/** Parses a name and checks rules together, so one 422 names every problem. */
function parseSegment(
  input: unknown,
  catalog: SegmentCatalog,
  schema: typeof segmentInput | typeof segmentPatchInput,
  current?: SegmentRecord,
): { name: string; rules: CheckedRules } {
  const parsed = schema.safeParse(input);
  const issues = parsed.success
    ? []
    : parsed.error.issues.map((i) => ({ field: i.path.join(".") || "body", message: i.message }));
  const body = (parsed.success ? parsed.data : (input ?? {})) as z.output<typeof segmentPatchInput>;
  let rules: CheckedRules | undefined;
  try {
    // A change replaces what it sends: `match`, `rules`, or both; a rename keeps (and re-checks) the rules.
    const given = current
      ? { match: body.match ?? current.rules.match, rules: body.rules ?? current.rules.rules }
      : { match: body.match, rules: body.rules };
    rules = checkRules(given, catalog);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    issues.push(...error.issues);
  }
  if (issues.length || !rules) throw new ValidationError(issues);
  return { name: body.name ?? (current as SegmentRecord).name, rules };
}

/** Saves a new segment (members and up); a 422 names each bad rule and nothing is written. */
export function createSegment(shard: Shard, actor: Actor, input: unknown, now = Date.now()): SegmentRecord {
  requireRole(actor.role, "member");
  const { name, rules } = parseSegment(input, segmentCatalog(shard), segmentInput);
  return shard.transaction(() => {
    const count = (shard.statement("SELECT count(*) AS n FROM segments").get() as { n: number }).n;
    if (count >= MAX_SEGMENTS)
      throw new ValidationError([
        { field: "name", message: `a workspace keeps at most ${MAX_SEGMENTS} segments` },
      ]);
    const result = shard
      .statement(
        "INSERT INTO segments (name, rules, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
      )
      .run(name, JSON.stringify(rules.clean), actor.type === "user" ? actor.id : null, now, now);
    return getSegment(shard, Number(result.lastInsertRowid));
  });
}

/** Renames a segment or replaces its rules (members and up); a 422 names each bad rule and nothing changes. */
export function updateSegment(
  shard: Shard,
  actor: Actor,
  id: number,
  input: unknown,
  now = Date.now(),
): SegmentRecord {
  requireRole(actor.role, "member");
  const current = getSegment(shard, id);
  const { name, rules } = parseSegment(input, segmentCatalog(shard), segmentPatchInput, current);
  return shard.transaction(() => {
    shard
      .statement("UPDATE segments SET name = ?, rules = ?, updated_at = ? WHERE id = ?")
      .run(name, JSON.stringify(rules.clean), now, id);
    return getSegment(shard, id);
  });
}

/** Deletes a segment (members and up): its contacts stay as they are. */
export function deleteSegment(shard: Shard, actor: Actor, id: number): void {
  requireRole(actor.role, "member");
  shard.transaction(() => {
    getSegment(shard, id);
    shard.statement("DELETE FROM segments WHERE id = ?").run(id);
  });
}

/** A segment as the API answers it (see the OpenAPI document). */
export function segmentJson(segment: SegmentRecord) {
  return {
    id: segment.id,
    name: segment.name,
    match: segment.rules.match,
    rules: segment.rules.rules,
    createdAt: new Date(segment.createdAt).toISOString(),
    updatedAt: new Date(segment.updatedAt).toISOString(),
  };
}
