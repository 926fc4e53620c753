import { timingSafeEqual } from "node:crypto";

/** A random token of `bytes` bytes, base64url-encoded: session ids, API key secrets, CSRF tokens. */
export function randomToken(bytes = 32): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("base64url");
}

/** What we store in place of a bearer secret: a leaked database must not yield live credentials. */
export function sha256Hex(value: string): string {
  return new Bun.CryptoHasher("sha256").update(value).digest("hex");
}

export function hmacBase64Url(secret: string, value: string): string {
  return new Bun.CryptoHasher("sha256", secret).update(value).digest("base64url");
}

/** Compares secrets in constant time, so response timing leaks nothing about how much matched. */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
