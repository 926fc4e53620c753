import type { FieldIssue } from "../core/errors.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { User } from "./schema.ts";

export type UserSummary = Pick<User, "id" | "name" | "email" | "role">;

/** Everyone in the workspace, by name: for owner menus on every list page, so one prepared statement. */
export function listUsers(shard: Shard): UserSummary[] {
  return shard.statement("SELECT id, name, email, role FROM users ORDER BY name, id").all() as UserSummary[];
}

/** One user of the workspace, or undefined. */
export function userSummary(shard: Shard, id: number): UserSummary | undefined {
  const row = shard.statement("SELECT id, name, email, role FROM users WHERE id = ?").get(id);
  return (row as UserSummary | null) ?? undefined;
}

/** The user signing in with `email` and their password hash, or undefined if there is none. */
export function credentialsFor(shard: Shard, email: string): { id: number; hash: string } | undefined {
  const row = shard.statement("SELECT id, password_hash AS hash FROM users WHERE email = ?").get(email);
  return (row as { id: number; hash: string } | null) ?? undefined;
}

/** An issue on `field` unless `userId` is absent or a user of this workspace. */
export function ownerIssue(shard: Shard, userId: number | null | undefined, field = "ownerId"): FieldIssue[] {
  if (userId === null || userId === undefined) return [];
  const found = shard.statement("SELECT 1 AS found FROM users WHERE id = ?").get(userId);
  return found ? [] : [{ field, message: "is not a user of this workspace" }];
}
