import type { Context, MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { ForbiddenError } from "../../core/errors.ts";
import { hmacBase64Url, randomToken, safeEqual } from "../../core/tokens.ts";
import type { Viewer } from "../../identity/viewer.ts";
import type { AppDeps, AppEnv } from "../app-env.ts";
import { isHttps } from "../https.ts";

/** Holds a random value for visitors without a session; the form token is its HMAC. */
export const PRE_AUTH_COOKIE = "crm_csrf";
export const CSRF_FIELD = "_csrf";
export const CSRF_HEADER = "x-csrf-token";

const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * The token as a page carries it: a fresh random pad, then the token's bytes XOR the pad,
 * base64url. Every response carries other bytes for the same token, so a compressed page's size
 * says nothing about it (BREACH: see compression.ts); unmaskToken gives the token back.
 */
export function maskToken(token: string): string {
  const bytes = new TextEncoder().encode(token);
  const pad = crypto.getRandomValues(new Uint8Array(bytes.length));
  const masked = new Uint8Array(bytes.length * 2);
  masked.set(pad);
  for (let i = 0; i < bytes.length; i++) masked[bytes.length + i] = (bytes[i] as number) ^ (pad[i] as number);
  return Buffer.from(masked).toString("base64url");
}

/** The token a masked value stands for, or undefined when the value is not one (any length, any text). */
export function unmaskToken(value: string): string | undefined {
  if (value.length > 512 || !/^[A-Za-z0-9_-]+$/.test(value)) return undefined;
  const masked = Buffer.from(value, "base64url");
  if (masked.length === 0 || masked.length % 2 !== 0) return undefined;
  const half = masked.length / 2;
  const token = new Uint8Array(half);
  for (let i = 0; i < half; i++) token[i] = (masked[i] as number) ^ (masked[half + i] as number);
  return new TextDecoder().decode(token);
}

/**
 * Whether a submitted token is the expected one: masked, as pages carry it, or as it is (a page
 * rendered before tokens were masked). Compared in constant time.
 */
export function tokenMatches(expected: string | undefined, sent: string | undefined): boolean {
  if (!expected || !sent) return false;
  const unmasked = unmaskToken(sent);
  return (unmasked !== undefined && safeEqual(expected, unmasked)) || safeEqual(expected, sent);
}

/**
 * The CSRF token a form on this page must send back, masked afresh (maskToken). Signed-in
 * users get their session's token (rotated with the session at login); anyone else gets an
 * HMAC of a random cookie, so a token is useless without the cookie it was made for.
 */
export function csrfTokenFor(c: Context<AppEnv>, deps: AppDeps, viewer: Viewer | undefined): string {
  return maskToken(rawCsrfToken(c, deps, viewer));
}

function rawCsrfToken(c: Context<AppEnv>, deps: AppDeps, viewer: Viewer | undefined): string {
  if (viewer?.kind === "user") return viewer.csrfToken;
  let seed = getCookie(c, PRE_AUTH_COOKIE);
  if (!seed || seed.length < 32) {
    seed = randomToken(32);
    setCookie(c, PRE_AUTH_COOKIE, seed, {
      path: "/",
      httpOnly: true,
      sameSite: "Lax",
      secure: isHttps(c, deps.config),
    });
  }
  return hmacBase64Url(deps.csrfSecret, seed);
}

async function submittedToken(c: Context): Promise<string | undefined> {
  const header = c.req.header(CSRF_HEADER);
  if (header) return header;
  const type = c.req.header("content-type") ?? "";
  if (type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/form-data")) {
    // parseBody caches the parsed form, so the handler reads it again for free.
    const value = (await c.req.parseBody())[CSRF_FIELD];
    return typeof value === "string" ? value : undefined;
  }
  return undefined;
}

function expectedToken(c: Context<AppEnv>, deps: AppDeps, viewer: Viewer | undefined): string | undefined {
  if (viewer?.kind === "user") return viewer.csrfToken;
  const seed = getCookie(c, PRE_AUTH_COOKIE);
  return seed ? hmacBase64Url(deps.csrfSecret, seed) : undefined;
}

/**
 * Rejects every unsafe request from a browser that does not carry the page's CSRF token, in
 * the `_csrf` form field (plain forms) or the X-CSRF-Token header (htmx, set by app.js).
 * Requests a browser marks cross-site are refused before the token is even read.
 */
export function csrfProtection(deps: AppDeps): MiddlewareHandler<AppEnv> {
  return async function csrfProtection(c, next) {
    if (UNSAFE_METHODS.has(c.req.method)) {
      if (c.req.header("sec-fetch-site") === "cross-site")
        throw new ForbiddenError("cross-site request refused");
      const viewer = (c as unknown as Context<{ Variables: { viewer?: Viewer } }>).get("viewer");
      const expected = expectedToken(c, deps, viewer);
      if (!tokenMatches(expected, await submittedToken(c))) {
        throw new ForbiddenError(
          "the form has expired or did not come from this site; reload the page and try again",
        );
      }
    }
    await next();
  };
}
