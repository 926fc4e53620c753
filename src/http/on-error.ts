import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { flashFragment } from "../../views/components/flash.ts";
import { errorPage } from "../../views/errors/error-page.ts";
import {
  AppError,
  BadRequestError,
  type FieldIssue,
  MAX_LISTED_ISSUES,
  NotFoundError,
  PayloadTooLargeError,
  RetryLaterError,
  UnauthorizedError,
  ValidationError,
} from "../core/errors.ts";
import { errorFields } from "../core/logger.ts";
import { currentRequestWrites, type Shard } from "../tenancy/shard.ts";
import { DiskFullError } from "../tenancy/shard-faults.ts";
import type { AppDeps, AppEnv } from "./app-env.ts";
import { problemResponse } from "./problem.ts";

function isApi(c: Context): boolean {
  return c.req.path.startsWith("/api/");
}

function isHtmx(c: Context): boolean {
  return c.req.header("hx-request") === "true";
}

/** SQLite's "database is locked": another connection (a worker task, another process) holds the write lock. */
function isLocked(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "SQLITE_BUSY" || code === "SQLITE_BUSY_SNAPSHOT" || code === "SQLITE_LOCKED";
}

/** Not an HTTP status of the standard: nginx's "client closed request", what the log says for one. */
export const CLIENT_CLOSED_REQUEST = 499;

/**
 * Whether the client went away before its request could be read: its body then fails to read
 * (an AbortError, or a refusal of the truncated body), and nothing on our side broke. Anything
 * else that fails while the client happens to be gone is still an error.
 */
function clientAborted(c: Context, error: unknown): boolean {
  if (!c.req.raw.signal.aborted) return false;
  return (error instanceof DOMException && error.name === "AbortError") || error instanceof AppError;
}

/** Maps anything thrown to an AppError; unexpected errors become a 500 that reveals nothing. */
function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  // The server's thread waits only briefly for a lock (CRM_BUSY_TIMEOUT_MS); then this
  // workspace alone is told to try again, and no other waits.
  if (isLocked(error))
    return new RetryLaterError(503, "this workspace is busy with a large change; try again in a moment", 1);
  if (error instanceof HTTPException) {
    if (error.status === 413) return new PayloadTooLargeError(0);
    return new AppError(error.status, error.message || "Error", error.message || "request failed");
  }
  return new AppError(500, "Internal Server Error", "something went wrong on our side; it has been logged");
}

/** The fields a 400 or 422 names, for problem+json's `errors` (the first MAX_LISTED_ISSUES; the detail counts the rest). */
function fieldErrors(error: AppError): FieldIssue[] | undefined {
  if (error instanceof ValidationError) return error.issues.slice(0, MAX_LISTED_ISSUES);
  if (error instanceof BadRequestError && error.field)
    return [{ field: error.field, message: error.message }];
  return undefined;
}

/** Where a page visitor who must sign in is sent, coming back to where they were afterwards. */
function loginRedirect(c: Context<AppEnv>): string | undefined {
  const slug = c.get("tenant")?.slug;
  if (!slug) return undefined;
  const back =
    c.req.method === "GET"
      ? `?next=${encodeURIComponent(c.req.path + (new URL(c.req.url).search || ""))}`
      : "";
  return `/t/${slug}/login${back}`;
}

/**
 * The one place errors become responses: problem+json for the API, a small fragment swapped
 * into the page's flash area for htmx, and a full error page otherwise.
 */
/**
 * An error as the flash above a page says it: a refused field by its name in words ("Lost
 * reason is needed…", not "lostReason: is needed…"), since a person reads it, not a client.
 */
function inWords(error: AppError): string {
  if (!(error instanceof ValidationError)) return error.message;
  const more = error.issues.length - MAX_LISTED_ISSUES;
  const listed = error.issues
    .slice(0, MAX_LISTED_ISSUES)
    .map((issue) => {
      const words = issue.field
        .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
        .replace(/[._]+/g, " ")
        .trim()
        .toLowerCase();
      const label = words ? words[0]?.toUpperCase() + words.slice(1) : "";
      return label ? `${label} ${issue.message}` : issue.message;
    })
    .join("; ");
  return more > 0 ? `${listed}; and ${more} more` : listed;
}

export function handleError(deps: AppDeps): ErrorHandler<AppEnv> {
  return function handleError(error, c) {
    // No one is left to answer; the request log records it as a client abort (499, warn).
    if (clientAborted(c, error)) return new Response(null, { status: CLIENT_CLOSED_REQUEST });
    // A damaged or replaced workspace file is taken out of service (503 for that workspace alone).
    const shard = (c.var as { shard?: Shard }).shard;
    const classified = shard ? deps.shards.classify(shard, error) : error;
    const appError = toAppError(classified);
    // A workspace's writes all go through shard.transaction, which counts them: such a request
    // may be run again once the lock is free (src/app/retry-when-busy.ts). Sign-up writes the
    // catalog and a new file, uncounted: it is never marked.
    if (isLocked(classified) && c.get("tenant")) {
      const writes = currentRequestWrites();
      if (writes) writes.busy = true;
    }
    // Only the unexpected is an error to log: 503s (busy, locked) and 504s (a task past its time) are answers.
    if (appError instanceof DiskFullError)
      deps.logger.error("disk full", {
        requestId: c.get("requestId"),
        tenant: c.get("tenant")?.slug,
        dataDir: deps.config.dataDir,
      });
    if (appError.status === 500) {
      deps.logger.error("unhandled error", { requestId: c.get("requestId"), ...errorFields(error) });
    }
    const headers: Record<string, string> = {};
    if (appError instanceof RetryLaterError || appError instanceof DiskFullError)
      headers["Retry-After"] = String(appError.retryAfterSeconds);
    if (isApi(c)) {
      if (appError instanceof UnauthorizedError) headers["WWW-Authenticate"] = 'Bearer realm="crm"';
      return problemResponse(
        {
          status: appError.status,
          title: appError.title,
          detail: appError.message,
          errors: fieldErrors(appError),
        },
        headers,
      );
    }
    if (appError instanceof UnauthorizedError) {
      const to = loginRedirect(c);
      if (to) {
        if (isHtmx(c)) return c.body(null, 401, { "HX-Redirect": to });
        return c.redirect(to, 303);
      }
    }
    if (isHtmx(c)) {
      return c.html(flashFragment("error", inWords(appError)).value, appError.status as 400, {
        ...headers,
        "HX-Retarget": "#flash",
        "HX-Reswap": "innerHTML",
      });
    }
    return c.html(
      errorPage({
        status: appError.status,
        title: appError.title,
        message: appError.message,
        nonce: c.get("nonce"),
        assets: deps.assets.urls,
      }).value,
      appError.status as 400,
      headers,
    );
  };
}

export function handleNotFound(deps: AppDeps): NotFoundHandler<AppEnv> {
  return (c) => handleError(deps)(new NotFoundError("page"), c);
}
