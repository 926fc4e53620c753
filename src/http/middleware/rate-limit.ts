import { isIPv4, isIPv6 } from "node:net";
import type { Context, MiddlewareHandler } from "hono";
import type { Config } from "../../core/config.ts";
import { RetryLaterError } from "../../core/errors.ts";
import type { AppEnv, TenantEnv } from "../app-env.ts";
import { clientIp } from "../https.ts";
import { problemResponse } from "../problem.ts";
import { type Take, TokenBuckets } from "../token-buckets.ts";
import { noteBucket, setRateLimitHeaders } from "./rate-limit-headers.ts";

/** Requests refused since the process started, by the limit that refused them (for /metrics). */
export const rateLimited = { address: 0, workspace: 0, key: 0, keyFailures: 0 };

/** The eight 16-bit groups of an IPv6 address (valid, as isIPv6 says; zone id removed). */
function ipv6Groups(ip: string): number[] {
  let text = ip;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const middle = tail === undefined ? [] : Array(8 - left.length - right.length).fill("0");
  return [...left, ...middle, ...right].map((g) => Number.parseInt(g, 16));
}

/**
 * An address's bucket key: an IPv4 client by its address (also when it reaches us as an
 * IPv4-mapped IPv6 address, in any spelling), an IPv6 client by its /64 (one host is handed a
 * whole /64, so a key per address would be a key per 2^64 addresses). A port a proxy wrote
 * after the address (1.2.3.4:5678, [2001:db8::1]:5678) and a zone id are not part of it;
 * anything that is no address at all is one key, cut short.
 */
export function addressKey(raw: string): string {
  let ip = raw.trim();
  const bracketed = /^\[([^\]]*)\](?::\d+)?$/.exec(ip);
  if (bracketed) ip = bracketed[1] ?? "";
  else ip = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(ip)?.[1] ?? ip;
  ip = ip.replace(/%.*$/, "");
  if (isIPv4(ip)) return ip;
  if (!isIPv6(ip)) return `?${ip.slice(0, 64)}`;
  const g = ipv6Groups(ip);
  const mapped =
    g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || (g[5] === 0 && (g[6] ?? 0) !== 0));
  if (mapped) {
    const hi = g[6] ?? 0;
    const lo = g[7] ?? 0;
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return `${g
    .slice(0, 4)
    .map((x) => x.toString(16))
    .join(":")}::/64`;
}

/**
 * The process's rate limits, each a set of token buckets (token-buckets.ts): one per client
 * address, against floods from anyone; one per workspace, counting only requests made as one
 * of its users or keys, so that a workspace's own load cannot take the whole process and no
 * one outside it can use up its allowance. Rates of 0 turn a limit off. Per process.
 */
export class RateLimits {
  readonly addresses?: TokenBuckets;
  readonly workspaces?: TokenBuckets;
  /** One per API key (its workspace's id and its own): one integration cannot take its whole workspace's allowance. */
  readonly keys?: TokenBuckets;
  /** Failed API key checks per client address (see keyFailureGuard): N per window, a small bucket apart. */
  readonly keyFailures?: TokenBuckets;

  constructor(readonly config: Config) {
    const burst = (rate: number) => Math.max(1, Math.round(rate * config.rateLimitBurstSeconds));
    if (config.rateLimitPerAddress > 0)
      this.addresses = new TokenBuckets(config.rateLimitPerAddress, burst(config.rateLimitPerAddress));
    if (config.rateLimitPerWorkspace > 0)
      this.workspaces = new TokenBuckets(config.rateLimitPerWorkspace, burst(config.rateLimitPerWorkspace));
    if (config.rateLimitPerKey > 0)
      this.keys = new TokenBuckets(config.rateLimitPerKey, burst(config.rateLimitPerKey));
    const failures = config.apiKeyFailuresPerAddress;
    if (failures > 0)
      this.keyFailures = new TokenBuckets(failures / config.apiKeyFailureWindowSeconds, failures);
  }
}

/**
 * Every request but /metrics and the static assets takes a token from its client address's
 * bucket, before any other work; past it, 429 with Retry-After (the app's error page, flash or
 * problem+json). Health probes are answered before the app. API answers say where the
 * address's bucket stands, after the workspace's, and carry RateLimit-Limit, -Remaining and
 * -Reset for the bucket nearest to refusing (rate-limit-headers.ts), a 429 included.
 */
export function addressRateLimit(limits: RateLimits): MiddlewareHandler<AppEnv> {
  return async function addressRateLimit(c, next) {
    const path = c.req.path;
    if (path === "/metrics" || path.startsWith("/assets/")) return next();
    const api = path.startsWith("/api/");
    const addresses = limits.addresses;
    const taken = addresses?.take(addressKey(clientIp(c, limits.config)), Date.now());
    if (addresses && taken && api) noteBucket(c, addresses.burst, taken);
    if (taken && !taken.ok) {
      rateLimited.address++;
      const refusal = new RetryLaterError(
        429,
        "too many requests from your address; slow down",
        taken.retryAfterSeconds,
      );
      if (!api) throw refusal;
      // Answered here, not by the error funnel, so that the 429 carries its RateLimit headers too.
      const response = problemResponse(
        { status: 429, title: refusal.title, detail: refusal.message },
        { "Retry-After": String(refusal.retryAfterSeconds) },
      );
      setRateLimitHeaders(c, response);
      return response;
    }
    await next();
    if (!api) return;
    // An API client sees both of its buckets: the workspace's (set by workspaceRateLimit, inside)
    // and its address's, as two items of one list each.
    const headers = c.res.headers;
    if (addresses && taken?.ok) {
      headers.append(
        "RateLimit-Policy",
        `"address";q=${addresses.burst};w=${limits.config.rateLimitBurstSeconds}`,
      );
      headers.append("RateLimit", `"address";r=${taken.remaining};t=${taken.resetSeconds}`);
    }
    setRateLimitHeaders(c, c.res);
  };
}

/** Takes a token from `buckets` for `key`, noting it for an API answer's headers; 429 past it. */
function takeOrRefuse(
  c: Context,
  buckets: TokenBuckets,
  key: string,
  refused: () => string,
): Take & { ok: true } {
  const taken = buckets.take(key, Date.now());
  if (c.req.path.startsWith("/api/")) noteBucket(c, buckets.burst, taken);
  if (!taken.ok) throw new RetryLaterError(429, refused(), taken.retryAfterSeconds);
  return taken;
}

/**
 * A request made as one of the workspace's users or keys (after its session or key is checked)
 * takes a token from the workspace's bucket, and one made with an API key a token from that
 * key's bucket too; past either, 429. API answers say where the workspace's bucket stands
 * (RateLimit-Policy and RateLimit, as the IETF draft spells them).
 */
export function workspaceRateLimit(limits: RateLimits): MiddlewareHandler<TenantEnv> {
  return async function workspaceRateLimit(c: Context<TenantEnv>, next) {
    const viewer = c.var.viewer;
    if (!viewer) return next();
    const tenantId = c.var.tenant.id;
    if (limits.keys && viewer.kind === "api_key")
      takeOrRefuse(c, limits.keys, `${tenantId}:${viewer.id}`, () => {
        rateLimited.key++;
        return "too many requests with this API key; slow down";
      });
    if (!limits.workspaces) return next();
    const taken = takeOrRefuse(c, limits.workspaces, tenantId, () => {
      rateLimited.workspace++;
      return "too many requests for this workspace; slow down";
    });
    await next();
    if (c.req.path.startsWith("/api/")) {
      c.res.headers.set(
        "RateLimit-Policy",
        `"workspace";q=${limits.workspaces.burst};w=${limits.config.rateLimitBurstSeconds}`,
      );
      c.res.headers.set("RateLimit", `"workspace";r=${taken.remaining};t=${taken.resetSeconds}`);
    }
  };
}
