import type { MiddlewareHandler } from "hono";
import { PayloadTooLargeError } from "../core/errors.ts";
import { withoutIdleTimeout } from "../http/idle-timeout.ts";
import { CLIENT_CLOSED_REQUEST } from "../http/on-error.ts";
import { problemResponse } from "../http/problem.ts";
import { readDigestedBody } from "./body-digest.ts";
import {
  CLUSTER_BODY_SHA256_HEADER,
  CLUSTER_SIGNATURE_HEADER,
  CLUSTER_TIME_HEADER,
  verifyClusterRequest,
} from "./cluster-auth.ts";

export interface ClusterSignatureOptions {
  /** The largest body a route behind it takes (a catch-up's page hashes); past it, 413. */
  maxBodyBytes?: number;
}

/** Host-to-host routes other than a catch-up's take no body worth the name. */
const SMALL_BODY_BYTES = 64 * 1024;

const refused = () =>
  problemResponse({ status: 403, title: "Forbidden", detail: "Not a signed cluster request." });

/**
 * Guards host-to-host routes (/_cluster/…): only a request signed with the cluster's secret gets
 * through. A host outside a cluster (no secret) answers 404, as if the routes did not exist; a
 * bad or stale signature is a 403 that says nothing more, before any of the body is read. The
 * body is then read (up to `maxBodyBytes`, hashed piece by piece as it arrives) and must have
 * the signed SHA-256, else the same 403: the route runs only on verified bytes, handed to it
 * from memory. (A route that one day takes a body too large to hold would stream it to a file
 * and act on it only once the digest matched.)
 */
export function requireClusterSignature(
  secret: () => string | undefined,
  { maxBodyBytes = SMALL_BODY_BYTES }: ClusterSignatureOptions = {},
): MiddlewareHandler {
  // Named: `crm routes` lists the routes behind it as "cluster signature" (src/cli/route-table.ts).
  return async function clusterSignature(c, next) {
    const key = secret();
    if (key === undefined)
      return problemResponse({
        status: 404,
        title: "Not Found",
        detail: "This host is not part of a cluster.",
      });
    const url = new URL(c.req.url);
    const bodySha256 = c.req.header(CLUSTER_BODY_SHA256_HEADER);
    const signed = verifyClusterRequest(key, c.req.method, `${url.pathname}${url.search}`, {
      time: c.req.header(CLUSTER_TIME_HEADER),
      bodySha256,
      signature: c.req.header(CLUSTER_SIGNATURE_HEADER),
    });
    if (!signed) return refused();
    if (Number(c.req.header("Content-Length") ?? 0) > maxBodyBytes)
      throw new PayloadTooLargeError(maxBodyBytes);
    let body: Awaited<ReturnType<typeof readDigestedBody>>;
    try {
      body = await readDigestedBody(c.req.raw, maxBodyBytes);
    } catch (error) {
      // The sender went away mid-body: nothing was acted on and nothing broke here, so no
      // error for the log (the app's on-error says the same of its own routes), just a 499.
      if (c.req.raw.signal.aborted) return new Response(null, { status: CLIENT_CLOSED_REQUEST });
      throw error;
    }
    if (body === "too-large") throw new PayloadTooLargeError(maxBodyBytes);
    if (body.sha256 !== bodySha256) return refused();
    // Bun's idleTimeout runs while a handler works, however long its answer is due to take:
    // a move's copy or catch-up of a large workspace takes minutes and would be cut off at
    // SERVER_IDLE_SECONDS. Lifted only now, for a signed request whose body was read and checked
    // (a replayed head cannot hold a connection this way), and put back once the route answered.
    const raw = c.req.raw;
    // The stream is spent: the route reads the verified bytes instead (as hono's bodyLimit does).
    if (raw.body) c.req.raw = new Request(raw, { body: body.bytes });
    await withoutIdleTimeout(c.env, raw, next);
  };
}
