import { eq } from "drizzle-orm";
import type { BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";
import { ValidationError } from "../core/errors.ts";
import type { Role } from "../identity/roles.ts";
import { type User, users } from "./schema.ts";

export interface NewUser {
  email: string;
  name: string;
  passwordHash: string;
  role: Role;
}

/** Adds a user to the tenant; an email already in use is a 422 on `email`. */
export function insertUser(db: BunSQLiteDatabase, input: NewUser, now = Date.now()): User {
  const existing = db.select({ id: users.id }).from(users).where(eq(users.email, input.email)).get();
  if (existing)
    throw new ValidationError([{ field: "email", message: "already has an account in this workspace" }]);
  return db
    .insert(users)
    .values({ ...input, createdAt: now, updatedAt: now })
    .returning()
    .get();
}
