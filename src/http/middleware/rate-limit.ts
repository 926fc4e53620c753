import type { MiddlewareHandler } from "hono";
import type { Config } from "../../core/config.ts";
import { RetryLaterError } from "../../core/errors.ts";
import type { AppEnv } from "../app-env.ts";
import { clientIp } from "../https.ts";
import { TokenBuckets } from "../token-buckets.ts";

/** The workspace a path is for (its pages or its API), before anything checks that it exists. */
const WORKSPACE_PATH = /^\/(?:api\/v1\/)?t\/([^/]+)/;

/**
 * An address's key: itself for IPv4, its /64 for IPv6 (one host is handed a whole /64, so a
 * limit per address would be a limit per 2^64 addresses).
 */
export function addressKey(ip: string): string {
  if (!ip.includes(":") || ip.startsWith("::ffff:")) return ip;
  const [head = "", tail] = ip.split("::");
  const left = head ? head.split(":") : [];
  const right = tail === undefined ? [] : tail ? tail.split(":") : [];
  const groups = [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

/** Requests refused since the process started, by the limit that refused them (for /metrics). */
export const rateLimited = { address: 0, workspace: 0 };

/**
 * Requests per client address and per workspace, each a token bucket (token-buckets.ts): a
 * client or a workspace past its rate gets 429 with Retry-After, so one noisy neighbour or
 * one flood cannot take the whole process. The API's answers say where the workspace's
 * bucket stands (RateLimit-Policy and RateLimit, as the IETF draft spells them). Rates of 0
 * turn a limit off. Health probes are answered before the app; /metrics and the static assets
 * are not counted.
 */
export function rateLimit(config: Config): MiddlewareHandler<AppEnv> {
  const burst = (rate: number) => Math.max(1, Math.round(rate * config.rateLimitBurstSeconds));
  const addresses =
    config.rateLimitPerAddress > 0
      ? new TokenBuckets(config.rateLimitPerAddress, burst(config.rateLimitPerAddress))
      : undefined;
  const workspaces =
    config.rateLimitPerWorkspace > 0
      ? new TokenBuckets(config.rateLimitPerWorkspace, burst(config.rateLimitPerWorkspace))
      : undefined;
  return async function rateLimit(c, next) {
    const path = c.req.path;
    if (path === "/metrics" || path.startsWith("/assets/")) return next();
    const now = Date.now();
    if (addresses) {
      const taken = addresses.take(addressKey(clientIp(c, config)), now);
      if (!taken.ok) {
        rateLimited.address++;
        throw new RetryLaterError(
          429,
          "too many requests from your address; slow down",
          taken.retryAfterSeconds,
        );
      }
    }
    const slug = workspaces ? WORKSPACE_PATH.exec(path)?.[1] : undefined;
    if (!workspaces || slug === undefined) return next();
    const taken = workspaces.take(slug, now);
    if (!taken.ok) {
      rateLimited.workspace++;
      throw new RetryLaterError(
        429,
        "too many requests for this workspace; slow down",
        taken.retryAfterSeconds,
      );
    }
    await next();
    if (path.startsWith("/api/")) {
      c.res.headers.set(
        "RateLimit-Policy",
        `"workspace";q=${workspaces.burst};w=${config.rateLimitBurstSeconds}`,
      );
      c.res.headers.set("RateLimit", `"workspace";r=${taken.remaining};t=${taken.resetSeconds}`);
    }
  };
}
