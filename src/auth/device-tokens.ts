import { hmacBase64Url, randomToken, safeEqual } from "../core/tokens.ts";

/**
 * A browser an account signed in from, as its device cookie holds it:
 * `<user id>.<issued at>.<device id>.<signature>`, signed with a host secret over the workspace's
 * id too. It grants nothing by itself: it only lets that account's sign-in from that browser skip
 * the throttles meant for guessers elsewhere (LoginLimiter).
 */
export interface KnownDevice {
  userId: number;
  id: string;
}

const FORMAT = /^([1-9]\d{0,15})\.(\d{1,15})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

function signature(secret: string, tenantId: string, userId: number, issuedAt: number, id: string): string {
  return hmacBase64Url(secret, `${tenantId}.${userId}.${issuedAt}.${id}`);
}

/** A new device token for `userId` in the workspace `tenantId` (a fresh id at every sign-in). */
export function deviceToken(secret: string, tenantId: string, userId: number, now: number): string {
  const id = randomToken(16);
  return `${userId}.${now}.${id}.${signature(secret, tenantId, userId, now, id)}`;
}

/** The device behind `token`, if this workspace signed it and it is younger than `maxAgeMs`. */
export function knownDevice(
  secret: string,
  tenantId: string,
  token: string | undefined,
  maxAgeMs: number,
  now: number,
): KnownDevice | undefined {
  const match = FORMAT.exec(token ?? "");
  if (!match) return undefined;
  const [, user, issued, id, signed] = match as unknown as [string, string, string, string, string];
  const userId = Number(user);
  const issuedAt = Number(issued);
  if (issuedAt > now || now - issuedAt >= maxAgeMs) return undefined;
  if (!safeEqual(signed, signature(secret, tenantId, userId, issuedAt, id))) return undefined;
  return { userId, id };
}
