import type { Context } from "hono";
import { getConnInfo } from "hono/bun";
import type { Config } from "../core/config.ts";

/** Whether the client reached us over https: directly, or through a trusted proxy that says so. */
export function isHttps(c: Context, config: Config): boolean {
  if (c.req.url.startsWith("https:")) return true;
  return config.trustProxy && c.req.header("x-forwarded-proto")?.split(",")[0]?.trim() === "https";
}

/**
 * The client's address: the socket's peer, or behind a trusted proxy the last X-Forwarded-For
 * entry (the one our proxy appended; earlier entries are whatever the client claimed).
 */
export function clientIp(c: Context, config: Config): string {
  if (config.trustProxy) {
    const forwarded = c.req.header("x-forwarded-for");
    // An empty last entry names no address: it is "unknown", never the proxy's own socket.
    if (forwarded !== undefined) return forwarded.split(",").at(-1)?.trim() || "unknown";
  }
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}
