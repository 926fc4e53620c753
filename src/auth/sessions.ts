import { and, eq, lt, or } from "drizzle-orm";
import type { Config } from "../core/config.ts";
import { randomToken, sha256Hex } from "../core/tokens.ts";
import type { Role } from "../identity/roles.ts";
import type { Viewer } from "../identity/viewer.ts";
import { isLocked } from "../tenancy/locked.ts";
import type { Shard } from "../tenancy/shard.ts";
import { versionedCache } from "../tenancy/versioned-cache.ts";
import { isFrozen } from "../tenancy/write-freeze.ts";
import { sessions } from "./schema.ts";

/** Writing last_seen_at on every request would turn every page view into an fsync; once a minute is plenty. */
const TOUCH_AFTER_MS = 60_000;

export interface SessionPolicy {
  idleMs: number;
  maxAgeMs: number;
}

export function sessionPolicy(config: Config): SessionPolicy {
  return { idleMs: config.sessionIdleMinutes * 60_000, maxAgeMs: config.sessionMaxDays * 86_400_000 };
}

/**
 * Runs bookkeeping that may wait for a later request: a locked workspace, or one frozen while it
 * moves to another host, skips it instead of failing the page.
 */
function skipWhenLocked(write: () => void): void {
  try {
    write();
  } catch (error) {
    if (!isLocked(error) && !isFrozen(error)) throw error;
  }
}

/**
 * Starts a session for `userId` and returns the cookie token. Any session the browser already
 * had (`previousToken`) is deleted in the same transaction: the id always changes at login,
 * so a planted session id is worthless (session fixation).
 */
export function startSession(
  shard: Shard,
  userId: number,
  policy: SessionPolicy,
  previousToken?: string,
  now = Date.now(),
): string {
  const token = randomToken(32);
  shard.transaction(() => {
    if (previousToken)
      shard.db
        .delete(sessions)
        .where(eq(sessions.id, sha256Hex(previousToken)))
        .run();
    // Sweep this user's dead sessions while we are writing anyway.
    shard.db
      .delete(sessions)
      .where(
        and(
          eq(sessions.userId, userId),
          or(lt(sessions.expiresAt, now), lt(sessions.lastSeenAt, now - policy.idleMs)),
        ),
      )
      .run();
    shard.db
      .insert(sessions)
      .values({
        id: sha256Hex(token),
        userId,
        csrfToken: randomToken(32),
        createdAt: now,
        lastSeenAt: now,
        expiresAt: now + policy.maxAgeMs,
      })
      .run();
  });
  return token;
}

export function endSession(shard: Shard, token: string): void {
  shard.transaction(() =>
    shard.db
      .delete(sessions)
      .where(eq(sessions.id, sha256Hex(token)))
      .run(),
  );
}

interface SessionRow {
  sessionId: string;
  csrfToken: string;
  lastSeenAt: number;
  expiresAt: number;
  userId: number;
  name: string;
  email: string;
  role: Role;
}

/**
 * The signed-in user behind a session cookie, or undefined if the session is unknown, idle
 * too long, or past its absolute expiry. The row comes from a versioned cache (a ~25 µs join
 * saved on every page, never stale), and every check still runs on every request.
 */
export function viewerForSession(
  shard: Shard,
  token: string,
  policy: SessionPolicy,
  now = Date.now(),
): Viewer | undefined {
  const id = sha256Hex(token);
  const row = versionedCache(
    shard,
    "sessions",
    id,
    2048,
    () =>
      shard
        .statement(
          `SELECT s.id AS sessionId, s.csrf_token AS csrfToken, s.last_seen_at AS lastSeenAt, s.expires_at AS expiresAt,
                u.id AS userId, u.name AS name, u.email AS email, u.role AS role
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?`,
        )
        .get(id) as SessionRow | null,
  );
  if (!row) return undefined;
  if (row.expiresAt <= now || row.lastSeenAt + policy.idleMs <= now) {
    // Signed out either way; a workspace locked by a worker's write keeps the row until the next try.
    skipWhenLocked(() =>
      shard.transaction(() => shard.statement("DELETE FROM sessions WHERE id = ?").run(id)),
    );
    return undefined;
  }
  if (now - row.lastSeenAt >= TOUCH_AFTER_MS) {
    // Bookkeeping outside shard.transaction: it must not invalidate the shard's caches. While a
    // worker's write holds the lock (a bulk change, an import) the page is still served: the
    // touch waits for a later request, well inside the idle limit.
    skipWhenLocked(() => {
      shard.statement("UPDATE sessions SET last_seen_at = ? WHERE id = ?").run(now, id);
      row.lastSeenAt = now;
    });
  }
  return {
    kind: "user",
    id: row.userId,
    name: row.name,
    email: row.email,
    role: row.role,
    sessionId: row.sessionId,
    csrfToken: row.csrfToken,
  };
}
