import { Hono } from "hono";
import type { z } from "zod";
import { parseOrThrow } from "../core/validation.ts";
import { listFields } from "../custom-fields/field-definitions.ts";
import { parseCustomValues, readCustomValues, type WithCustomFields } from "../custom-fields/field-values.ts";
import type { CustomFieldEntity } from "../custom-fields/schema.ts";
import type { ViewerEnv } from "../http/app-env.ts";
import { idParam } from "../http/page-context.ts";
import { readJsonObject } from "../http/read-json.ts";
import type { Actor } from "../identity/viewer.ts";
import { actorOf } from "../identity/viewer.ts";
import { parseListParams } from "../lists/list-params.ts";
import type { ListPage } from "../lists/page.ts";
import type { Shard } from "../tenancy/shard.ts";
import { versionedCache } from "../tenancy/versioned-cache.ts";

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
  create(shard: Shard, actor: Actor, input: WithCustomFields<z.output<Create>>): Rec & { id: number };
  patchInput: Patch;
  update(shard: Shard, actor: Actor, id: number, patch: WithCustomFields<z.output<Patch>>): Rec;
  remove(shard: Shard, actor: Actor, id: number): void;
  json(record: Rec): object;
  /** The kind of record its custom fields belong to: read and written as `customFields`. */
  entity: CustomFieldEntity;
}

/**
 * list (cursor-paginated `{data, nextCursor, prevCursor}`), create (201 + Location), get, PATCH and DELETE
 * (204) for one record type. Unknown list parameters are a 400; unknown body keys are ignored.
 */
export function resourceApiRoutes<Rec, L extends z.ZodObject, Cr extends z.ZodType, P extends z.ZodType>(
  resource: ApiResource<Rec, L, Cr, P>,
  renderCache: boolean,
) {
  const app = new Hono<ViewerEnv>();

  /** Records as JSON with their custom values (one query for a whole page). */
  const withCustom = (shard: Shard, records: (Rec & { id: number })[]) => {
    const fields = listFields(shard, resource.entity);
    const values = readCustomValues(
      shard,
      fields,
      records.map((r) => r.id),
    );
    return records.map((r) => ({ ...resource.json(r), customFields: values.get(r.id) ?? {} }));
  };
  const one = (shard: Shard, record: Rec & { id: number }) => withCustom(shard, [record])[0];
  /** The request's custom values, checked against the workspace's fields (422 naming each bad one). */
  const customFields = (shard: Shard, body: Record<string, unknown>) =>
    parseCustomValues(listFields(shard, resource.entity), body.customFields);

  app.get("/", (c) => {
    const params = parseListParams(resource.listParams, c.req.query(), true);
    const render = () => {
      const page = resource.list(c.var.shard, params);
      return JSON.stringify({
        data: withCustom(c.var.shard, page.rows as (Rec & { id: number })[]),
        nextCursor: page.nextCursor,
        prevCursor: page.prevCursor,
      });
    };
    const body = renderCache
      ? versionedCache(c.var.shard, `api:${resource.path}`, JSON.stringify(params), 32, render)
      : render();
    return c.body(body, 200, { "Content-Type": "application/json" });
  });

  app.post("/", async (c) => {
    const body = await readJsonObject(c);
    const input = parseOrThrow(resource.createInput, body);
    const record = resource.create(c.var.shard, actorOf(c.var.viewer), {
      ...(input as object),
      customFields: customFields(c.var.shard, body),
    } as WithCustomFields<z.output<Cr>>);
    c.header("Location", `/api/v1/t/${c.var.tenant.slug}/${resource.path}/${record.id}`);
    return c.json(one(c.var.shard, record), 201);
  });

  app.get("/:id", (c) => c.json(one(c.var.shard, resource.get(c.var.shard, idParam(c)))));

  app.patch("/:id", async (c) => {
    const id = resource.get(c.var.shard, idParam(c)).id;
    const body = await readJsonObject(c);
    const patch = parseOrThrow(resource.patchInput, body);
    const record = resource.update(c.var.shard, actorOf(c.var.viewer), id, {
      ...(patch as object),
      customFields: customFields(c.var.shard, body),
    } as WithCustomFields<z.output<P>>);
    return c.json(one(c.var.shard, { ...record, id } as Rec & { id: number }));
  });

  app.delete("/:id", (c) => {
    resource.remove(c.var.shard, actorOf(c.var.viewer), idParam(c));
    return c.body(null, 204);
  });

  return app;
}
