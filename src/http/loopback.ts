import { isIPv4, isIPv6 } from "node:net";

/**
 * 127.0.0.0/8 and ::1 (in any of its spellings), also IPv4-mapped (`::ffff:127.0.0.1`, as Bun
 * reports a v4 client of a v6 socket): real addresses only, never a name that starts like one.
 * What /metrics and /ops let in without a credential (a client on the host itself).
 */
export function isLoopback(address: string): boolean {
  const v4 = /^::ffff:(.+)$/i.exec(address)?.[1] ?? address;
  if (isIPv4(v4)) return v4.startsWith("127.");
  return isIPv6(address) && new URL(`http://[${address}]/`).hostname === "[::1]";
}

/** The scheme in any case, then one or more spaces (RFC 9110 11.1, 11.6.2). */
const BEARER = /^bearer +(\S+) *$/i;

/** The token of an `Authorization: Bearer <token>` header, or undefined when it is not one. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return BEARER.exec(authorization ?? "")?.[1];
}
