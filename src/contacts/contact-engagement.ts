import { EVENT_KINDS } from "../interactions/kinds.ts";
import type { Shard } from "../tenancy/shard.ts";

/** What the latest event of a kind said, as integrations sent it (text, never trusted). */
export interface EngagementDetails {
  url?: string;
  title?: string;
  campaign?: string;
  form?: string;
}

/** A contact's events of one kind, summed up: how many, the first, the last and its details. */
export interface Engagement {
  kind: string;
  count: number;
  firstAt: number;
  lastAt: number;
  last: EngagementDetails;
}

const DETAIL_KEYS = ["url", "title", "campaign", "form"] as const;

/** The stored payload's text details; anything else (or a payload that is not JSON) is left out. */
function details(payload: string): EngagementDetails {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return {};
  }
  if (typeof parsed !== "object" || parsed === null) return {};
  const out: EngagementDetails = {};
  for (const key of DETAIL_KEYS) {
    const value = (parsed as Record<string, unknown>)[key];
    if (typeof value === "string" && value !== "") out[key] = value;
  }
  return out;
}

const ORDER = new Map<string, number>(EVENT_KINDS.map((kind, i) => [kind, i]));

/**
 * A contact's engagement per event kind (contact_engagement's primary key: a few rows), in the
 * order of EVENT_KINDS. What pages and the API show instead of the events themselves, which
 * only a scan of the log could find.
 */
export function contactEngagement(shard: Shard, contactId: number): Engagement[] {
  const rows = shard
    .statement(
      "SELECT kind, count, first_at AS firstAt, last_at AS lastAt, last_payload AS lastPayload FROM contact_engagement WHERE contact_id = ?",
    )
    .all(contactId) as {
    kind: string;
    count: number;
    firstAt: number;
    lastAt: number;
    lastPayload: string;
  }[];
  return rows
    .map((r) => ({
      kind: r.kind,
      count: r.count,
      firstAt: r.firstAt,
      lastAt: r.lastAt,
      last: details(r.lastPayload),
    }))
    .sort(
      (a, b) =>
        (ORDER.get(a.kind) ?? ORDER.size) - (ORDER.get(b.kind) ?? ORDER.size) || (a.kind < b.kind ? -1 : 1),
    );
}

/** The API's `engagement` of a contact: times as ISO 8601 (the details stay on the page). */
export function engagementJson(rows: Engagement[]) {
  return rows.map((e) => ({
    kind: e.kind,
    count: e.count,
    firstAt: new Date(e.firstAt).toISOString(),
    lastAt: new Date(e.lastAt).toISOString(),
  }));
}

/**
 * Forgets a contact's engagement (its primary key's range). Deleting a contact keeps its events,
 * as the log keeps its other entries, but nothing reads the summary of a contact that is gone.
 */
export function deleteEngagement(shard: Shard, contactId: number): void {
  shard.statement("DELETE FROM contact_engagement WHERE contact_id = ?").run(contactId);
}
