import type { Context, MiddlewareHandler } from "hono";
import { slugField } from "../auth/new-tenant-input.ts";
import { formFields } from "../http/page-context.ts";
import { problemResponse } from "../http/problem.ts";
import { isValidSlug } from "../tenancy/slug.ts";
import type { ClusterMember } from "./cluster-member.ts";
import { type ClusterHost, upstreamName } from "./placement.ts";

/** Set by the nginx config `crm cluster nginx-config` writes: the request came through the front. */
export const FRONT_HEADER = "X-CRM-Front";
/** On a 421 to the front: the nginx upstream of the owner, where nginx sends the request again. */
export const OWNER_UPSTREAM_HEADER = "CRM-Owner-Upstream";
/** On a 421 to an API client that came straight to this host: the owner's name. */
export const OWNER_HEADER = "CRM-Owner";

/** The workspace slug a path is keyed by: /t/<slug>/… and /api/v1/t/<slug>/…, percent-decoded as the router decodes it. */
export function slugOfPath(path: string): string | undefined {
  const match = /^\/(?:api\/v1\/)?t\/([^/]+)(?:\/|$)/.exec(path);
  if (!match) return undefined;
  try {
    return decodeURIComponent(match[1] as string);
  } catch {
    return undefined;
  }
}

/**
 * The answer for a request about a tenant another host owns. Through the front: 421 naming the
 * owner's upstream, which nginx re-sends the request to (method and body intact; see
 * src/cluster/nginx-config.ts). Straight to this host: a page is sent on with 307 (the method
 * and body kept), an API client gets a 421 problem naming the owner.
 */
function misdirected(c: Context, owner: ClusterHost | undefined, api: boolean): Response {
  if (!owner)
    return problemResponse(
      { status: 503, title: "Service Unavailable", detail: "The cluster has no host for this workspace." },
      { "Retry-After": "5" },
    );
  if (c.req.header(FRONT_HEADER) === "1")
    return new Response("This workspace lives on another host.\n", {
      status: 421,
      headers: { [OWNER_UPSTREAM_HEADER]: upstreamName(owner), "Content-Type": "text/plain; charset=utf-8" },
    });
  if (api)
    return problemResponse(
      {
        status: 421,
        title: "Misdirected Request",
        detail: `This workspace is served by host ${owner.name}; send the request there (or through the cluster's front address).`,
      },
      { [OWNER_HEADER]: owner.name },
    );
  const url = new URL(c.req.url);
  return new Response(null, {
    status: 307,
    headers: { Location: `${owner.url}${url.pathname}${url.search}`, "Cache-Control": "no-store" },
  });
}

function isMine(member: ClusterMember, owner: ClusterHost | undefined): boolean {
  return owner?.name === member.hostName;
}

/**
 * Before anything resolves or opens a tenant: a request keyed by a slug this host does not own
 * (its pages, its API, its uploads, "go to your workspace") is answered by misdirected() and
 * never reaches the catalog, so a host never opens nor creates a tenant placement gives
 * another. Slugs that cannot be valid go on to the usual 404.
 */
export function tenantOwnership(member: ClusterMember): MiddlewareHandler {
  return async function tenantOwnership(c, next) {
    const path = c.req.path;
    const slug = path === "/go" ? (c.req.query("workspace") ?? "").trim().toLowerCase() : slugOfPath(path);
    if (slug !== undefined && isValidSlug(slug)) {
      const owner = member.ownerOf(slug);
      if (!isMine(member, owner)) return misdirected(c, owner, path.startsWith("/api/"));
    }
    await next();
  };
}

/**
 * POST /signup: the new workspace's slug is in the form, so the form is read (under the body
 * limit, before the CSRF check, which reads the same parsed form) and a slug placement gives
 * another host is sent there, as a page would be. The slug is read exactly as the sign-up
 * handler reads it (formFields: any spelling of the form's content type, a field sent twice;
 * then the form's own trim and lower-casing), so no spelling of the form makes this host see one
 * slug and create another. An invalid slug goes on to the form's 422.
 */
export function signupOwnership(member: ClusterMember): MiddlewareHandler {
  return async function signupOwnership(c, next) {
    if (c.req.method === "POST") {
      const parsed = slugField.safeParse((await formFields(c)).slug ?? "");
      if (parsed.success) {
        const owner = member.ownerOf(parsed.data);
        if (!isMine(member, owner)) return misdirected(c, owner, false);
      }
    }
    await next();
  };
}
