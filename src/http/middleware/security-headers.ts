import type { MiddlewareHandler } from "hono";
import type { Config } from "../../core/config.ts";
import { randomToken } from "../../core/tokens.ts";
import type { AppEnv } from "../app-env.ts";
import { isHttps } from "../https.ts";

const ONE_YEAR_SECONDS = 31_536_000;

/**
 * Scripts run only with this request's nonce (our files carry it; nothing inline, no eval);
 * everything else loads from our own origin; no framing, no plugins, no <base> hijack, and
 * forms post only back to us. htmx runs under it through its hx-csp extension.
 */
function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'self'",
    `script-src 'nonce-${nonce}'`,
    // The nonce lets a list page carry its column choice as a <style> block; no inline style attributes.
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/**
 * The security headers every response carries, set on `headers` (what securityHeaders adds
 * after the app; the health probes, answered before the app, set them here too).
 */
export function setSecurityHeaders(headers: Headers, nonce: string, https: boolean): void {
  headers.set("Content-Security-Policy", contentSecurityPolicy(nonce));
  headers.set("X-Content-Type-Options", "nosniff");
  headers.set("Referrer-Policy", "same-origin");
  headers.set("X-Frame-Options", "DENY");
  headers.set("Cross-Origin-Opener-Policy", "same-origin");
  headers.set("Cross-Origin-Resource-Policy", "same-origin");
  headers.set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()");
  if (https) headers.set("Strict-Transport-Security", `max-age=${ONE_YEAR_SECONDS}; includeSubDomains`);
  if (!headers.has("Cache-Control")) headers.set("Cache-Control", "no-store");
}

/**
 * Security headers on every response, and a fresh CSP nonce per request for the views.
 * Responses that set no Cache-Control get `no-store`: pages here are per-user and hold CSRF tokens.
 */
export function securityHeaders(config: Config): MiddlewareHandler<AppEnv> {
  return async function securityHeaders(c, next) {
    const nonce = randomToken(16);
    c.set("nonce", nonce);
    await next();
    setSecurityHeaders(c.res.headers, nonce, isHttps(c, config));
    // A 304's headers replace the stored response's: a policy with this request's nonce would
    // block the scripts of the stored page, which carry the nonce it was sent with.
    if (c.res.status === 304) c.res.headers.delete("Content-Security-Policy");
  };
}
