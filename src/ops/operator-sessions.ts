import { and, eq, gt, lte } from "drizzle-orm";
import { randomToken, sha256Hex } from "../core/tokens.ts";
import type { Catalog } from "../tenancy/catalog.ts";
import { operatorSessions, operators } from "../tenancy/catalog-schema.ts";

/** How long an operator stays signed in to /ops. */
export const OPERATOR_SESSION_MS = 12 * 60 * 60 * 1000;

/**
 * Starts an operator's session and returns its token (the catalog keeps only its hash, so every
 * process of the host knows it). The session the browser came with, if any, ends: a new token
 * at every sign-in. Expired sessions are swept on the way.
 */
export function startOperatorSession(
  catalog: Catalog,
  operatorId: number,
  previousToken: string | undefined,
  now: number,
): string {
  const token = randomToken(32);
  catalog.db.transaction((tx) => {
    if (previousToken)
      tx.delete(operatorSessions)
        .where(eq(operatorSessions.tokenHash, sha256Hex(previousToken)))
        .run();
    tx.delete(operatorSessions).where(lte(operatorSessions.expiresAt, now)).run();
    tx.insert(operatorSessions)
      .values({
        tokenHash: sha256Hex(token),
        operatorId,
        createdAt: now,
        expiresAt: now + OPERATOR_SESSION_MS,
      })
      .run();
  });
  return token;
}

/** The signed-in operator's email for a session token, if it is live. */
export function operatorForSession(catalog: Catalog, token: string, now: number): string | undefined {
  if (token.length > 128) return undefined;
  return catalog.db
    .select({ email: operators.email })
    .from(operatorSessions)
    .innerJoin(operators, eq(operators.id, operatorSessions.operatorId))
    .where(and(eq(operatorSessions.tokenHash, sha256Hex(token)), gt(operatorSessions.expiresAt, now)))
    .get()?.email;
}

export function endOperatorSession(catalog: Catalog, token: string): void {
  catalog.db
    .delete(operatorSessions)
    .where(eq(operatorSessions.tokenHash, sha256Hex(token)))
    .run();
}
