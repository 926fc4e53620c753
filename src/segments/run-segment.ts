import type { ContactRecord } from "../contacts/contact-record.ts";
import type { ListPage } from "../lists/page.ts";
import type { Tenant } from "../tenancy/catalog-schema.ts";
import type { Shard } from "../tenancy/shard.ts";
import { versionedCache } from "../tenancy/versioned-cache.ts";
import type { WorkerPool } from "../workers/pool.ts";
import { compileRules } from "./compile-rules.ts";
import type { CountParams } from "./count.worker.ts";
import type { ExportParams } from "./export.worker.ts";
import type { MembersTaskParams } from "./members.worker.ts";
import { fewMatch, type MembersPage, PREVIEW_SIZE, type SegmentCount } from "./segment-queries.ts";
import type { CheckedGroup } from "./segment-rules.ts";

/**
 * Where and for whom a segment runs: the pool, the request's tenant and its shard (for the
 * cache), the request's abort signal (a closed request cancels the task) and its clock.
 */
export interface SegmentRun {
  pool: Pick<WorkerPool, "run">;
  shard: Shard;
  tenant: Pick<Tenant, "id" | "slug" | "file">;
  now: number;
  signal?: AbortSignal;
}

const CACHE_ENTRIES = 64;
/** "The last N days" counts back from the minute, so a result can be reused within it. */
const MINUTE_MS = 60_000;

function task<P, T>(run: SegmentRun, name: string, params: P, timeoutMs?: number): Promise<T> {
  const input = { tenantId: run.tenant.id, slug: run.tenant.slug, file: run.tenant.file, params };
  return run.pool.run<T>(name, input, { signal: run.signal, timeoutMs });
}

/**
 * Runs `compute` in the pool unless the same key was computed at the shard's current version.
 * The entry is taken (or made) at the version read *before* the task starts: if anything is
 * written while it runs, the version moves on and the next request misses, so a result is
 * never served for data it may not have seen (invariant 9).
 */
async function cached<T>(run: SegmentRun, key: string, compute: () => Promise<T>): Promise<T> {
  const entry = versionedCache(run.shard, "segment-results", key, CACHE_ENTRIES, () => ({}) as { value?: T });
  if (entry.value !== undefined) return entry.value;
  const value = await compute();
  entry.value = value;
  return value;
}

function prepared(run: SegmentRun, rules: CheckedGroup) {
  const now = Math.floor(run.now / MINUTE_MS) * MINUTE_MS;
  return { now, key: JSON.stringify(compileRules(rules, { now })) };
}

/** How many contacts the rules hold and the newest few (in the pool; cached per shard version). */
export function segmentCount(
  run: SegmentRun,
  rules: CheckedGroup,
  preview = PREVIEW_SIZE,
): Promise<SegmentCount> {
  const { now, key } = prepared(run, rules);
  return cached(run, `count:${preview}:${key}`, () =>
    task<CountParams, SegmentCount>(run, "segments.count", { rules, now, preview }),
  );
}

/**
 * One keyset page of the members and how many there are (in the pool; each cached per shard
 * version). The count comes first: it decides how the page is read (segment-queries.ts fewMatch).
 */
export async function segmentPage(
  run: SegmentRun,
  rules: CheckedGroup,
  page: MembersPage,
): Promise<{ page: ListPage<ContactRecord>; count: number }> {
  const counted = await segmentCount(run, rules, 0);
  const scan = fewMatch(counted);
  const { now, key } = prepared(run, rules);
  const members = await cached(run, `page:${scan}:${JSON.stringify(page)}:${key}`, () =>
    task<MembersTaskParams, ListPage<ContactRecord>>(run, "segments.members", { rules, now, page, scan }),
  );
  return { page: members, count: counted.count };
}

/** Writes the members to `path` as CSV in the pool; answers how many rows it wrote. */
export function segmentCsv(
  run: SegmentRun,
  rules: CheckedGroup,
  path: string,
  bom: boolean,
): Promise<{ rows: number }> {
  const { now } = prepared(run, rules);
  return task<ExportParams, { rows: number }>(run, "segments.export", { rules, now, path, bom });
}
