import { desc } from "drizzle-orm";
import { z } from "zod";
import { NotFoundError } from "../core/errors.ts";
import { randomToken, sha256Hex } from "../core/tokens.ts";
import { parseOrThrow, plainText } from "../core/validation.ts";
import { type Role, requireRole } from "../identity/roles.ts";
import type { Actor, Viewer } from "../identity/viewer.ts";
import { isLocked } from "../tenancy/locked.ts";
import type { Shard } from "../tenancy/shard.ts";
import { versionedCache } from "../tenancy/versioned-cache.ts";
import { requireGrantable, roleField } from "./role-grants.ts";
import { type ApiKey, apiKeys } from "./schema.ts";

/**
 * A key reads `crm_<tenant id>_<secret>`. The tenant id lets the API refuse a key meant for
 * another workspace before opening any file; only the secret's hash is stored.
 */
const KEY_PATTERN = /^crm_([a-z2-7]{16})_([A-Za-z0-9_-]{43})$/;
const TOUCH_AFTER_MS = 60_000;

export function keyTenantId(key: string): string | undefined {
  return KEY_PATTERN.exec(key)?.[1];
}

export interface NewApiKey {
  name: string;
  role: Role;
  createdBy: number | null;
}

/**
 * Creates a key and returns it in full; it is never retrievable again. Checks nothing: for the
 * product itself (the CLI, a test's setup). Someone acting in a workspace goes through issueApiKey.
 */
export function createApiKey(
  shard: Shard,
  input: NewApiKey,
  now = Date.now(),
): { key: string; record: ApiKey } {
  const key = `crm_${shard.tenant.id}_${randomToken(32)}`;
  const record = shard.transaction(() =>
    shard.db
      .insert(apiKeys)
      .values({
        name: input.name,
        role: input.role,
        createdBy: input.createdBy,
        keyHash: sha256Hex(key),
        prefix: key.slice(0, 25),
        createdAt: now,
      })
      .returning()
      .get(),
  );
  return { key, record };
}

export const apiKeyInput = z.object({ name: plainText(100).min(1, "is required"), role: roleField });

/** A key made by someone in the workspace: admins and owners, for a role they could grant. `raw`: see apiKeyInput. */
export function issueApiKey(shard: Shard, actor: Actor, raw: unknown): { key: string; record: ApiKey } {
  requireRole(actor.role, "admin");
  const input = parseOrThrow(apiKeyInput, raw);
  requireGrantable(actor.role, input.role);
  return createApiKey(shard, { ...input, createdBy: actor.type === "user" ? actor.id : null });
}

export function listApiKeys(shard: Shard): ApiKey[] {
  return shard.db.select().from(apiKeys).orderBy(desc(apiKeys.id)).all();
}

/** Revokes a key: admins and owners, and only keys whose role they could grant (an admin never an owner's key). */
export function revokeApiKey(shard: Shard, actor: Actor, id: number, now = Date.now()): void {
  requireRole(actor.role, "admin");
  shard.transaction(() => {
    const key = shard.statement("SELECT role FROM api_keys WHERE id = ?").get(id) as { role: Role } | null;
    if (!key) throw new NotFoundError("API key");
    requireGrantable(actor.role, key.role, "you cannot revoke a key with that role");
    shard.statement("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL").run(now, id);
  });
}

/** The API client behind a bearer key, or undefined if the key is unknown or revoked (versioned cache: never stale). */
export function viewerForApiKey(shard: Shard, key: string, now = Date.now()): Viewer | undefined {
  if (keyTenantId(key) !== shard.tenant.id) return undefined;
  const hash = sha256Hex(key);
  const row = versionedCache(
    shard,
    "api-keys",
    hash,
    256,
    () =>
      shard
        .statement(
          "SELECT id, name, role, last_used_at AS lastUsedAt FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL",
        )
        .get(hash) as { id: number; name: string; role: Role; lastUsedAt: number | null } | null,
  );
  if (!row) return undefined;
  if (row.lastUsedAt === null || now - row.lastUsedAt >= TOUCH_AFTER_MS) {
    // Bookkeeping outside shard.transaction: it must not invalidate the shard's caches. While a
    // worker's write holds the lock (an event batch, an import) the request is still served:
    // the touch waits for a later request, as a session's last use does.
    try {
      shard.statement("UPDATE api_keys SET last_used_at = ? WHERE id = ?").run(now, row.id);
      row.lastUsedAt = now;
    } catch (error) {
      if (!isLocked(error)) throw error;
    }
  }
  return { kind: "api_key", id: row.id, name: row.name, role: row.role };
}
