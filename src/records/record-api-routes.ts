import { Hono } from "hono";
import { parseOrThrow } from "../core/validation.ts";
import { listFields } from "../custom-fields/field-definitions.ts";
import { parseCustomValues } from "../custom-fields/field-values.ts";
import type { ViewerEnv } from "../http/app-env.ts";
import { ifMatchWrite, taggedJson } from "../http/entity-tag.ts";
import { idParam } from "../http/page-context.ts";
import { readJsonObject } from "../http/read-json.ts";
import { answerOnce } from "../idempotency/idempotency-middleware.ts";
import { actorOf } from "../identity/viewer.ts";
import { parseListParams } from "../lists/list-params.ts";
import { resumeCursor } from "../lists/resume-cursor.ts";
import type { Shard } from "../tenancy/shard.ts";
import { versionedCache } from "../tenancy/versioned-cache.ts";
import { recordsJson } from "./record-json.ts";
import type { KindPatch, KindRecord, RecordKind } from "./record-kind.ts";

/**
 * /api/v1/t/:tenant/<kind>: list (cursor-paginated `{data, nextCursor, prevCursor}`), create
 * (201 + Location), get, PATCH and DELETE (204) for one kind of record, through the same
 * services as its pages, with its custom values as `customFields`. Unknown list parameters are
 * a 400; unknown body keys are ignored.
 */
export function recordApiRoutes<R extends KindRecord, P extends object, Cr, U extends KindPatch>(
  kind: RecordKind<R, P, Cr, U, unknown, unknown>,
  renderCache: boolean,
) {
  const app = new Hono<ViewerEnv>();
  const one = (shard: Shard, record: R) => ({
    ...recordsJson(shard, kind, [record])[0],
    ...kind.api.alone?.(shard, record),
  });
  /** The request's custom values, checked against the workspace's fields (422 naming each bad one). */
  const customFields = (shard: Shard, body: Record<string, unknown>) =>
    parseCustomValues(listFields(shard, kind.type), body.customFields);

  app.get("/", (c) => {
    const params = parseListParams(kind.listParams, c.req.query(), "api");
    const render = () => {
      const page = kind.list(c.var.shard, params);
      return JSON.stringify({
        data: recordsJson(c.var.shard, kind, page.rows),
        nextCursor: page.nextCursor ?? resumeCursor(params, page.rows.at(-1)),
        prevCursor: page.prevCursor,
      });
    };
    const body = renderCache
      ? versionedCache(c.var.shard, `api:${kind.path}`, JSON.stringify(params), 32, render)
      : render();
    return c.body(body, 200, { "Content-Type": "application/json" });
  });

  app.post("/", async (c) => {
    const body = await readJsonObject(c);
    const input = parseOrThrow(kind.api.createInput, body);
    return answerOnce(c, 201, () => {
      const record = kind.create(c.var.shard, actorOf(c.var.viewer), {
        ...input,
        customFields: customFields(c.var.shard, body),
      });
      const location = `/api/v1/t/${c.var.tenant.slug}/${kind.path}/${record.id}`;
      return { json: one(c.var.shard, record), location };
    });
  });

  // ETag on GET, If-Match on PATCH and DELETE (src/http/entity-tag.ts).
  const current = (shard: Shard, id: number) => () => one(shard, kind.get(shard, id));

  app.get("/:id", (c) => taggedJson(c, current(c.var.shard, idParam(c))()));

  app.patch("/:id", async (c) => {
    const id = kind.get(c.var.shard, idParam(c)).id;
    const body = await readJsonObject(c);
    // The body is read inside: a stale If-Match is a 412 before a bad field is a 422 (RFC 9110 §13.2.1).
    const record = ifMatchWrite(c, current(c.var.shard, id), () =>
      kind.update(c.var.shard, actorOf(c.var.viewer), id, {
        ...parseOrThrow(kind.api.patchInput, body),
        customFields: customFields(c.var.shard, body),
      }),
    );
    return taggedJson(c, one(c.var.shard, record));
  });

  app.delete("/:id", (c) => {
    const id = idParam(c);
    ifMatchWrite(c, current(c.var.shard, id), () => kind.remove(c.var.shard, actorOf(c.var.viewer), id));
    return c.body(null, 204);
  });

  return app;
}
