import { type Context, Hono, type MiddlewareHandler } from "hono";
import { loadSession, requireSignedIn } from "../auth/session-middleware.ts";
import { AppError, ForbiddenError, ValidationError } from "../core/errors.ts";
import { listFields } from "../custom-fields/field-definitions.ts";
import type { AppDeps, TenantEnv, ViewerEnv } from "../http/app-env.ts";
import { withoutIdleTimeout } from "../http/idle-timeout.ts";
import { CSRF_FIELD, CSRF_HEADER, tokenMatches } from "../http/middleware/csrf.ts";
import { memberOnly } from "../http/role-guards.ts";
import { resolveTenant } from "../http/tenant-middleware.ts";
import { actorOf } from "../identity/viewer.ts";
import type { Shard } from "../tenancy/shard.ts";
import { importKind } from "./import-fields.ts";
import { ensureImportDir, removeStored, storedPath, uploadName } from "./import-files.ts";
import { suggestMapping } from "./import-mapping.ts";
import { createImport } from "./imports.ts";
import type { InspectParams, InspectResult } from "./inspect.worker.ts";
import {
  BadUploadError,
  IMPORT_FORM_OVERHEAD_BYTES,
  multipartBoundary,
  type ReceivedUpload,
  receiveUpload,
  UploadStalledError,
  UploadTooLargeError,
} from "./receive-upload.ts";
import { importsListPage } from "./routes.ts";

/**
 * Holds the workspace's file for the upload without reading the body first (the other routes'
 * holdShard may wait for a whole body: this one is up to CRM_IMPORT_MAX_BYTES and must be
 * streamed to disk as it arrives, never held in memory).
 */
function holdShardAsBodyStreams(deps: AppDeps): MiddlewareHandler<TenantEnv> {
  return async function holdShardAsBodyStreams(c, next) {
    const hold: { shard?: Shard } = { shard: deps.shards.acquire(c.var.tenant) };
    holds.set(c.req.raw, hold);
    c.set("shard", hold.shard as Shard);
    try {
      await next();
    } finally {
      if (hold.shard) deps.shards.release(hold.shard);
    }
  };
}

/** The workspace file each upload holds, if any: let go while the body streams (see receive). */
const holds = new WeakMap<Request, { shard?: Shard }>();

/**
 * Receives the body with the workspace's file let go meanwhile (a slow or stalled upload holds
 * no file; one that stops sending for CRM_BODY_TIMEOUT_SECONDS is stopped), then takes it again.
 */
async function receiveLettingGo(
  c: Context<ViewerEnv>,
  deps: AppDeps,
  receive: () => Promise<ReceivedUpload>,
): Promise<ReceivedUpload> {
  const hold = holds.get(c.req.raw);
  if (hold?.shard) {
    deps.shards.release(hold.shard);
    hold.shard = undefined;
  }
  // A file of 128 MB over a 20 Mbit/s line takes ~50 s: the server's idle timeout, which runs
  // while a body is read however steadily it comes, is lifted while the file arrives (only a
  // signed-in member gets here; receiveUpload stops one that stalls for CRM_BODY_TIMEOUT_SECONDS)
  // and put back after.
  try {
    return await withoutIdleTimeout(c.env, c.req.raw, receive);
  } finally {
    if (hold) {
      hold.shard = deps.shards.acquire(c.var.tenant);
      c.set("shard", hold.shard);
    }
  }
}

const CSRF_REFUSED = "the form has expired or did not come from this site; reload the page and try again";

/**
 * POST /t/:tenant/imports: the upload, streamed to a file under the data directory as it
 * arrives (never held in memory) with its own size limit (CRM_IMPORT_MAX_BYTES), so it is
 * mounted before the app's body limit, which is for forms and JSON. The CSRF token is checked
 * before the first byte of the file is written (the form sends it first; htmx sends the
 * header). The file is then read in a worker (encoding, delimiter, header, a sample); a file
 * that cannot be imported is refused with why and deleted, so nothing is kept.
 */
export function importUploadRoutes(deps: AppDeps) {
  const app = new Hono<TenantEnv>();
  app.use(resolveTenant(deps), holdShardAsBodyStreams(deps), loadSession(deps));
  const page = new Hono<ViewerEnv>();

  page.post("/", requireSignedIn, memberOnly, async (c) => {
    if (c.req.header("sec-fetch-site") === "cross-site")
      throw new ForbiddenError("cross-site request refused");
    const viewer = c.var.viewer;
    const expected = viewer.kind === "user" ? viewer.csrfToken : undefined;
    const checkToken = (token: string | undefined) => {
      if (!tokenMatches(expected, token)) throw new ForbiddenError(CSRF_REFUSED);
    };
    const header = c.req.header(CSRF_HEADER);
    if (header) checkToken(header);
    const boundary = multipartBoundary(c.req.header("content-type"));
    if (!boundary || !c.req.raw.body) {
      throw new AppError(
        415,
        "Unsupported Media Type",
        "send the file as a form upload (multipart/form-data)",
      );
    }
    const limit = deps.config.importMaxBytes;
    const refuse = (status: 408 | 413 | 422 | 400, error: string, kind?: string) =>
      c.html(importsListPage(c, deps, { error, kind }).value, status);
    const declared = Number(c.req.header("content-length") ?? Number.NaN);
    if (declared > limit + IMPORT_FORM_OVERHEAD_BYTES)
      return refuse(413, new UploadTooLargeError(limit).message);

    const name = uploadName(c.var.tenant.id);
    const path = storedPath(deps.config.dataDir, name);
    ensureImportDir(deps.config.dataDir, c.var.tenant.id);
    let keep = false;
    try {
      const body = c.req.raw.body;
      const upload = await receiveLettingGo(c, deps, () =>
        receiveUpload(body, boundary, {
          path,
          fileField: "file",
          maxFileBytes: limit,
          idleSeconds: deps.config.bodyTimeoutSeconds,
          beforeFile: (fields) => {
            if (!header) checkToken(fields[CSRF_FIELD]);
          },
        }),
      );
      if (!header) checkToken(upload.fields[CSRF_FIELD]);
      const kind = importKind(upload.fields.kind);
      if (!kind) return refuse(422, "choose contacts, companies or deals");
      if (!upload.file || upload.file.bytes === 0)
        return refuse(422, upload.file ? "the file is empty" : "choose a file to import", kind);
      let read: InspectResult;
      try {
        read = await deps.pool.run<InspectResult>(
          "imports.inspect",
          {
            tenantId: c.var.tenant.id,
            slug: c.var.tenant.slug,
            file: c.var.tenant.file,
            params: { dataDir: deps.config.dataDir, storedFile: name, kind } satisfies InspectParams,
          },
          { signal: c.req.raw.signal },
        );
      } catch (error) {
        if (error instanceof ValidationError)
          return refuse(422, error.issues.map((i) => i.message).join("; "), kind);
        throw error;
      }
      const actor = actorOf(viewer);
      const id = createImport(c.var.shard, actor, {
        kind,
        fileName: upload.file.name,
        storedFile: name,
        sizeBytes: upload.file.bytes,
        ...read,
        mapping: suggestMapping(kind, read.columns, listFields(c.var.shard, kind)),
      });
      keep = true;
      return c.redirect(`/t/${c.var.tenant.slug}/imports/${id}`, 303);
    } catch (error) {
      if (error instanceof UploadTooLargeError) return refuse(413, error.message);
      if (error instanceof UploadStalledError) return refuse(408, error.message);
      if (error instanceof BadUploadError) return refuse(400, error.message);
      throw error;
    } finally {
      if (!keep) removeStored(deps.config.dataDir, [name]);
    }
  });

  app.route("/", page);
  return app;
}
