import { asc } from "drizzle-orm";
import type { FieldIssue } from "../server/errors.ts";
import type { Shard } from "../tenancy/shard.ts";
import { type User, users } from "./schema.ts";

export type UserSummary = Pick<User, "id" | "name" | "email" | "role">;

export function listUsers(shard: Shard): UserSummary[] {
  return shard.db
    .select({ id: users.id, name: users.name, email: users.email, role: users.role })
    .from(users)
    .orderBy(asc(users.name))
    .all();
}

/** An issue on `field` unless `userId` is absent or a user of this workspace. */
export function ownerIssue(shard: Shard, userId: number | null | undefined, field = "ownerId"): FieldIssue[] {
  if (userId === null || userId === undefined) return [];
  const found = shard.statement("SELECT 1 AS found FROM users WHERE id = ?").get(userId);
  return found ? [] : [{ field, message: "is not a user of this workspace" }];
}
