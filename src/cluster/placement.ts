import { createHash } from "node:crypto";

/**
 * One host of a cluster: its name (what placement and the nginx upstreams are keyed on) and the
 * base URL at which the load balancer and the other hosts reach it (e.g. http://10.0.0.12:3000).
 */
export interface ClusterHost {
  name: string;
  url: string;
}

/**
 * The placement map every host and the load balancer agree on (ARCHITECTURE.md, decision 3):
 * the hosts, explicit overrides for tenants pinned or moved, and the cluster's shared secret
 * (it signs host-to-host requests and the pre-login CSRF tokens, so a sign-up form rendered by
 * one host can be posted to another). `version` rises with every change.
 */
export interface Placement {
  version: number;
  secret: string;
  hosts: ClusterHost[];
  /** slug → host name: tenants that do not live where rendezvous hashing would put them. */
  overrides: Record<string, string>;
}

export const HOST_NAME_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * Rendezvous (highest random weight) hashing: each host scores the slug, the highest score
 * owns it. Adding or removing a host only re-homes the tenants that host wins or held
 * (about 1/N of them), and any process computes the same answer from the host names alone.
 * SHA-256 rather than Bun.hash: the function is part of the file format and must not change
 * with the runtime's version.
 */
export function rendezvousOwner(slug: string, hosts: readonly ClusterHost[]): ClusterHost | undefined {
  let best: ClusterHost | undefined;
  let bestScore = -1n;
  for (const host of hosts) {
    const score = createHash("sha256").update(`${host.name}\u0000${slug}`).digest().readBigUInt64BE(0);
    // Ties (never seen in 64 bits, but defined): the smaller name wins, whatever the list order.
    if (score > bestScore || (score === bestScore && best !== undefined && host.name < best.name)) {
      best = host;
      bestScore = score;
    }
  }
  return best;
}

/** The host that owns `slug`: its override if it has one, else the rendezvous winner. */
export function ownerOf(placement: Placement, slug: string): ClusterHost | undefined {
  // Own keys only: "constructor" is a valid slug, and Object.prototype's would pin it to no host.
  const pinned = Object.hasOwn(placement.overrides, slug) ? placement.overrides[slug] : undefined;
  if (pinned !== undefined) return placement.hosts.find((h) => h.name === pinned);
  return rendezvousOwner(slug, placement.hosts);
}

export function hostNamed(placement: Placement, name: string): ClusterHost | undefined {
  return placement.hosts.find((h) => h.name === name);
}

/** The nginx upstream name of a host (`crm cluster nginx-config`, the 421 re-route header). */
export function upstreamName(host: ClusterHost): string {
  return `crm_${host.name.replaceAll("-", "_")}`;
}

export class PlacementError extends Error {}

/** Checks a parsed placement file; throws PlacementError naming the first problem. */
export function validatePlacement(value: unknown): Placement {
  const fail = (why: string): never => {
    throw new PlacementError(`placement file: ${why}`);
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail("not a JSON object");
  const v = value as Record<string, unknown>;
  if (!Number.isSafeInteger(v.version) || (v.version as number) < 1)
    fail("version must be a whole number ≥ 1");
  if (typeof v.secret !== "string" || v.secret.length < 32) fail("secret must be at least 32 characters");
  if (!Array.isArray(v.hosts)) fail("hosts must be a list");
  const hosts: ClusterHost[] = [];
  for (const raw of v.hosts as unknown[]) {
    const h = raw as Record<string, unknown>;
    if (typeof h?.name !== "string" || !HOST_NAME_PATTERN.test(h.name))
      fail(`host name ${JSON.stringify(h?.name)} must be lowercase letters, digits and dashes`);
    if (hosts.some((x) => x.name === h.name)) fail(`host ${h.name} listed twice`);
    if (typeof h.url !== "string" || !/^https?:\/\/[^/?#\s]+$/.test(h.url))
      fail(`host ${h.name}: url must be http(s)://address[:port] with no path`);
    hosts.push({ name: h.name as string, url: h.url as string });
  }
  if (typeof v.overrides !== "object" || v.overrides === null || Array.isArray(v.overrides))
    fail("overrides must be an object");
  const overrides: Record<string, string> = {};
  for (const [slug, name] of Object.entries(v.overrides as Record<string, unknown>)) {
    if (typeof name !== "string" || !hosts.some((h) => h.name === name))
      fail(`override ${slug} → ${String(name)}: no such host`);
    overrides[slug] = name as string;
  }
  return { version: v.version as number, secret: v.secret as string, hosts, overrides };
}
