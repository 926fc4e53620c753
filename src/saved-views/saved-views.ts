import { ForbiddenError, NotFoundError, ValidationError } from "../core/errors.ts";
import { hasRole } from "../identity/roles.ts";
import type { Actor } from "../identity/viewer.ts";
import type { Shard } from "../tenancy/shard.ts";
import { versionedCache } from "../tenancy/versioned-cache.ts";
import { normaliseViewQuery, type ViewInput, type ViewList } from "./view-input.ts";

export interface SavedViewSummary {
  id: number;
  name: string;
  /** The list URL's query: filters, sort and columns. */
  href: string;
  shared: boolean;
  ownerId: number;
  ownerName: string;
}

const MAX_VIEWS_PER_USER = 50;

/** A user's own views of a list and those others shared, own first, by name. */
export function listViews(shard: Shard, userId: number, list: ViewList): SavedViewSummary[] {
  // On every list page: kept per shard version (any write reads again).
  return versionedCache(shard, "saved-views", `${userId}:${list}`, 64, () => readViews(shard, userId, list));
}

function readViews(shard: Shard, userId: number, list: ViewList): SavedViewSummary[] {
  const rows = shard
    .statement(
      `SELECT v.id, v.name, v.query, v.columns, v.shared, v.owner_id AS ownerId, u.name AS ownerName
       FROM saved_views v JOIN users u ON u.id = v.owner_id
       WHERE v.entity = ? AND (v.owner_id = ? OR v.shared = 1)
       ORDER BY v.owner_id <> ?, v.name COLLATE NOCASE, v.id`,
    )
    .all(list, userId, userId) as {
    id: number;
    name: string;
    query: string;
    columns: string;
    shared: number;
    ownerId: number;
    ownerName: string;
  }[];
  return rows.map((r) => {
    const columns = JSON.parse(r.columns) as string[];
    const query = new URLSearchParams(r.query);
    if (columns.length) query.set("cols", columns.join(","));
    const text = query.toString();
    return {
      id: r.id,
      name: r.name,
      href: text ? `?${text}` : "?",
      shared: r.shared === 1,
      ownerId: r.ownerId,
      ownerName: r.ownerName,
    };
  });
}

/** The user a view belongs to: views are kept by people signed in, never by API keys. */
function ownerOf(actor: Actor): number {
  if (actor.type !== "user" || actor.id === null)
    throw new ForbiddenError("only a signed-in user keeps views");
  return actor.id;
}

/**
 * Saves a view for the actor, anyone signed in, read-only users included: a view changes no
 * business data. Sharing it with the workspace takes the member role; a read-only user's
 * "shared" view is kept private.
 */
export function createView(shard: Shard, actor: Actor, input: ViewInput, now = Date.now()): number {
  const userId = ownerOf(actor);
  const shared = input.shared && hasRole(actor.role, "member");
  const { query, columns } = normaliseViewQuery(input.list, input.query);
  return shard.transaction(() => {
    const count = (
      shard.statement("SELECT count(*) AS n FROM saved_views WHERE owner_id = ?").get(userId) as { n: number }
    ).n;
    if (count >= MAX_VIEWS_PER_USER)
      throw new ValidationError([
        { field: "name", message: `at most ${MAX_VIEWS_PER_USER} saved views each` },
      ]);
    const row = shard
      .statement(
        "INSERT INTO saved_views (owner_id, entity, name, query, columns, shared, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
      )
      .get(userId, input.list, input.name, query, JSON.stringify(columns), shared ? 1 : 0, now, now) as {
      id: number;
    };
    return row.id;
  });
}

/** Deletes a view: its owner may, and admins may remove a shared one. Others' private views do not exist for them (404). */
export function deleteView(shard: Shard, actor: Actor, id: number): ViewList {
  const userId = ownerOf(actor);
  return shard.transaction(() => {
    const view = shard
      .statement("SELECT owner_id AS ownerId, shared, entity FROM saved_views WHERE id = ?")
      .get(id) as {
      ownerId: number;
      shared: number;
      entity: ViewList;
    } | null;
    if (!view || (view.ownerId !== userId && view.shared !== 1)) throw new NotFoundError("saved view");
    if (view.ownerId !== userId && !hasRole(actor.role, "admin"))
      throw new ForbiddenError("only its owner or an admin can delete a shared view");
    shard.statement("DELETE FROM saved_views WHERE id = ?").run(id);
    return view.entity;
  });
}
