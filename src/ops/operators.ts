import { asc, eq } from "drizzle-orm";
import { z } from "zod";
import { ValidationError } from "../core/errors.ts";
import { emailAddress, parseOrThrow } from "../core/validation.ts";
import type { Catalog } from "../tenancy/catalog.ts";
import { type Operator, operatorSessions, operators } from "../tenancy/catalog-schema.ts";

/** An operator's email, trimmed and lower-cased (the same rule as a workspace user's). */
export function operatorEmail(raw: string): string {
  return parseOrThrow(z.object({ email: emailAddress }), { email: raw }).email;
}

/** Adds an operator, or gives an existing one a new password (and ends their sessions). */
export function saveOperator(
  catalog: Catalog,
  email: string,
  passwordHash: string,
  now: number,
): "added" | "updated" {
  const existing = operatorByEmail(catalog, email);
  if (existing) {
    catalog.db.transaction((tx) => {
      tx.update(operators).set({ passwordHash }).where(eq(operators.id, existing.id)).run();
      tx.delete(operatorSessions).where(eq(operatorSessions.operatorId, existing.id)).run();
    });
    return "updated";
  }
  catalog.db.insert(operators).values({ email, passwordHash, createdAt: now }).run();
  return "added";
}

export function operatorByEmail(catalog: Catalog, email: string): Operator | undefined {
  return catalog.db.select().from(operators).where(eq(operators.email, email)).get();
}

export function listOperators(catalog: Catalog): Pick<Operator, "email" | "createdAt">[] {
  return catalog.db
    .select({ email: operators.email, createdAt: operators.createdAt })
    .from(operators)
    .orderBy(asc(operators.email))
    .all();
}

/** Removes an operator and every session of theirs at once; an unknown email is an error. */
export function removeOperator(catalog: Catalog, email: string): void {
  const operator = operatorByEmail(catalog, email);
  if (!operator) throw new ValidationError([{ field: "email", message: `no operator ${email}` }]);
  catalog.db.transaction((tx) => {
    tx.delete(operatorSessions).where(eq(operatorSessions.operatorId, operator.id)).run();
    tx.delete(operators).where(eq(operators.id, operator.id)).run();
  });
}
