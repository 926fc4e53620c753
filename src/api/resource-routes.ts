import { Hono } from "hono";
import type { z } from "zod";
import type { Actor } from "../auth/viewer.ts";
import { actorOf } from "../auth/viewer.ts";
import { parseListParams } from "../lists/list-params.ts";
import type { ListPage } from "../lists/page.ts";
import type { ViewerEnv } from "../server/app-env.ts";
import { idParam } from "../server/page-context.ts";
import { parseOrThrow } from "../server/validation.ts";
import type { Shard } from "../tenancy/shard.ts";
import { versionedCache } from "../tenancy/versioned-cache.ts";
import { readJsonObject } from "./read-json.ts";

/** A record type's services, as the JSON API exposes them. */
export interface ApiResource<
  Rec,
  ListParams extends z.ZodObject,
  Create extends z.ZodType,
  Patch extends z.ZodType,
> {
  /** The path segment, e.g. "contacts". */
  path: string;
  listParams: ListParams;
  list(shard: Shard, params: z.output<ListParams>): ListPage<Rec>;
  get(shard: Shard, id: number): Rec & { id: number };
  createInput: Create;
  create(shard: Shard, actor: Actor, input: z.output<Create>): Rec & { id: number };
  patchInput: Patch;
  update(shard: Shard, actor: Actor, id: number, patch: z.output<Patch>): Rec;
  remove(shard: Shard, actor: Actor, id: number): void;
  json(record: Rec): unknown;
}

/**
 * list (cursor-paginated `{data, nextCursor}`), create (201 + Location), get, PATCH and DELETE
 * (204) for one record type. Unknown list parameters are a 400; unknown body keys are ignored.
 */
export function resourceApiRoutes<Rec, L extends z.ZodObject, Cr extends z.ZodType, P extends z.ZodType>(
  resource: ApiResource<Rec, L, Cr, P>,
  renderCache: boolean,
) {
  const app = new Hono<ViewerEnv>();

  app.get("/", (c) => {
    const params = parseListParams(resource.listParams, c.req.query(), true);
    const render = () => {
      const page = resource.list(c.var.shard, params);
      return JSON.stringify({ data: page.rows.map(resource.json), nextCursor: page.nextCursor });
    };
    const body = renderCache
      ? versionedCache(c.var.shard, `api:${resource.path}`, JSON.stringify(params), 32, render)
      : render();
    return c.body(body, 200, { "Content-Type": "application/json" });
  });

  app.post("/", async (c) => {
    const input = parseOrThrow(resource.createInput, await readJsonObject(c));
    const record = resource.create(c.var.shard, actorOf(c.var.viewer), input);
    c.header("Location", `/api/v1/t/${c.var.tenant.slug}/${resource.path}/${record.id}`);
    return c.json(resource.json(record) as object, 201);
  });

  app.get("/:id", (c) => c.json(resource.json(resource.get(c.var.shard, idParam(c))) as object));

  app.patch("/:id", async (c) => {
    const id = resource.get(c.var.shard, idParam(c)).id;
    const patch = parseOrThrow(resource.patchInput, await readJsonObject(c));
    return c.json(resource.json(resource.update(c.var.shard, actorOf(c.var.viewer), id, patch)) as object);
  });

  app.delete("/:id", (c) => {
    resource.remove(c.var.shard, actorOf(c.var.viewer), idParam(c));
    return c.body(null, 204);
  });

  return app;
}
