import { join } from "node:path";
import { Hono } from "hono";
import { AppError, BadRequestError } from "../core/errors.ts";
import { errorFields, type Logger } from "../core/logger.ts";
import { problemResponse } from "../http/problem.ts";
import { quickCheckOffThread } from "../tenancy/quick-check.ts";
import { isValidSlug } from "../tenancy/slug.ts";
import type { ClusterMember } from "./cluster-member.ts";
import { requireClusterSignature } from "./cluster-signature-middleware.ts";
import { catchUp, discardMove, pullCopy, type SourceHost } from "./move-destination.ts";
import {
  describeTenant,
  diffForDestination,
  freezeTenant,
  hostedTenant,
  type MoveHost,
  onShard,
  retireTenant,
  tenantIdParam,
  thawTenant,
} from "./move-source.ts";
import { hostNamed } from "./placement.ts";

/**
 * The largest body a move's route takes: a catch-up's page-hash list, 8 bytes a page, so files
 * up to ~32 GB of 4 KB pages (msgpackr's few bytes of framing aside).
 */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export interface MoveRoutesDeps extends MoveHost {
  /** This host in its cluster (undefined alone: every route answers 404). */
  cluster?: ClusterMember;
  logger: Logger;
}

/**
 * The host-to-host routes of `crm cluster move` (mounted at /_cluster, signed with the cluster's
 * secret; the generated nginx config refuses /_cluster/ from the front). Two faces:
 * /_cluster/t/<slug>/… on the host that has the workspace (its state, its file, freeze and
 * thaw, the catch-up's differing pages, retire) and /_cluster/moves/<slug>/… on the destination,
 * which pulls (copy, catch-up) and, on rollback, discards.
 */
export function moveRoutes(deps: MoveRoutesDeps) {
  const placement = () => deps.cluster?.placement();
  const app = new Hono();
  // The body is read whole (and hashed) before any route: up to the largest a catch-up sends.
  app.use(requireClusterSignature(() => placement()?.secret, { maxBodyBytes: MAX_BODY_BYTES }));
  app.onError((error, c) => {
    if (error instanceof AppError)
      return problemResponse({ status: error.status, title: error.title, detail: error.message });
    deps.logger.error("cluster move route failed", { path: c.req.path, ...errorFields(error) });
    return problemResponse({ status: 500, title: "Internal Server Error", detail: (error as Error).message });
  });
  const slugOf = (slug: string) => {
    if (!isValidSlug(slug)) throw new BadRequestError("not a workspace slug", "slug");
    return slug;
  };
  const sourceNamed = (name: string | undefined): SourceHost => {
    const current = placement();
    const host = current && name ? hostNamed(current, name) : undefined;
    if (!current || !host)
      throw new BadRequestError(`no host ${JSON.stringify(name ?? "")} in placement`, "from");
    return { host, secret: current.secret };
  };

  app.get("/t/:slug", (c) => c.json(describeTenant(deps, hostedTenant(deps, slugOf(c.req.param("slug"))))));

  app.get("/t/:slug/file", async (c) => {
    const tenant = hostedTenant(deps, slugOf(c.req.param("slug")));
    // Most of the log copied back first (PASSIVE: writers go on), so the copy is nearly current.
    await deps.pool
      .run(
        "tenancy.checkpoint",
        { tenantId: tenant.id, slug: tenant.slug, file: tenant.file, params: {} },
        { upkeep: true },
      )
      .catch(() => undefined);
    // A damaged file is not moved: SQLite's quick_check first, on a thread of its own (~1 s
    // for 140 MB), before the freeze; the copy is then checked byte for byte against this file.
    const path = join(deps.config.dataDir, tenant.file);
    const check = await quickCheckOffThread(path);
    if (check.length !== 1 || check[0] !== "ok")
      throw new AppError(
        409,
        "Conflict",
        `the workspace's file fails quick_check here (${check.slice(0, 3).join("; ")}): not moved; see crm tenants check`,
      );
    const pageSize = onShard(deps, tenant, (shard) =>
      Number(shard.sqlite.query("PRAGMA page_size").values()[0]?.[0]),
    );
    // Bun sends the file from the kernel (sendfile), never through this thread's loop.
    return new Response(Bun.file(path), {
      headers: { "Content-Type": "application/octet-stream", "CRM-Page-Size": String(pageSize) },
    });
  });

  app.post("/t/:slug/freeze", async (c) => {
    const tenant = hostedTenant(deps, slugOf(c.req.param("slug")));
    return c.json({ frozenSince: await freezeTenant(deps, tenant) });
  });

  app.post("/t/:slug/thaw", async (c) => {
    await thawTenant(deps, hostedTenant(deps, slugOf(c.req.param("slug"))));
    return c.json({ thawed: true });
  });

  app.post("/t/:slug/pages", async (c) => {
    const tenant = hostedTenant(deps, slugOf(c.req.param("slug")));
    // Within MAX_BODY_BYTES and checked against its signed digest already (requireClusterSignature).
    const body = new Uint8Array(await c.req.arrayBuffer());
    const { packed, result } = await diffForDestination(deps, tenant, body);
    return new Response(packed as Uint8Array<ArrayBuffer>, {
      headers: {
        "Content-Type": "application/msgpack",
        // How the source's side went (FULL checkpoint, then read and hash), for the operator's output.
        "CRM-Diff-Timing": `settle=${result.settleMs};diff=${result.diffMs};tries=${result.tries}`,
      },
    });
  });

  app.post("/t/:slug/retire", (c) => {
    const slug = slugOf(c.req.param("slug"));
    return c.json({ retiredAs: retireTenant(deps, slug, tenantIdParam(c.req.query("tenant"))) ?? null });
  });

  app.post("/moves/:slug/copy", async (c) =>
    c.json(await pullCopy(deps, sourceNamed(c.req.query("from")), slugOf(c.req.param("slug")))),
  );

  app.post("/moves/:slug/catch-up", async (c) =>
    c.json(await catchUp(deps, sourceNamed(c.req.query("from")), slugOf(c.req.param("slug")))),
  );

  app.delete("/moves/:slug", async (c) =>
    c.json({
      removed: await discardMove(deps, slugOf(c.req.param("slug")), tenantIdParam(c.req.query("tenant"))),
    }),
  );
  return app;
}
