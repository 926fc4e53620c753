import { Hono } from "hono";
import { z } from "zod";
import type { ViewerEnv } from "../http/app-env.ts";
import { idParam } from "../http/page-context.ts";
import { readJsonObject } from "../http/read-json.ts";
import { adminOnly } from "../http/role-guards.ts";
import { answerOnce } from "../idempotency/idempotency-middleware.ts";
import { actorOf } from "../identity/viewer.ts";
import { parseListParams } from "../lists/list-params.ts";
import { fieldJson, getField, listFields } from "./field-definitions.ts";
import { createField, deleteField, updateField } from "./manage-fields.ts";
import { CUSTOM_FIELD_ENTITIES } from "./schema.ts";

/** /api/v1/t/:tenant/custom-fields: the workspace's field definitions. Changing them needs admin (checked by the services). */
export function customFieldApiRoutes() {
  const app = new Hono<ViewerEnv>();
  app.get("/", (c) => {
    parseListParams(z.object({}), c.req.query(), true);
    const data = CUSTOM_FIELD_ENTITIES.flatMap((entity) => listFields(c.var.shard, entity)).map(fieldJson);
    return c.json({ data, nextCursor: null });
  });
  app.get("/:id", (c) => c.json(fieldJson(getField(c.var.shard, idParam(c)))));
  app.post("/", adminOnly, async (c) => {
    const body = await readJsonObject(c);
    return answerOnce(c, 201, () => {
      const created = createField(c.var.shard, actorOf(c.var.viewer), body);
      const location = `/api/v1/t/${c.var.tenant.slug}/custom-fields/${created.id}`;
      return { json: fieldJson(created), location };
    });
  });
  app.patch("/:id", adminOnly, async (c) => {
    // Another workspace's (or no) field is a 404 before its body is read, as for every record.
    const id = getField(c.var.shard, idParam(c)).id;
    return c.json(fieldJson(updateField(c.var.shard, actorOf(c.var.viewer), id, await readJsonObject(c))));
  });
  app.delete("/:id", adminOnly, (c) => {
    deleteField(c.var.shard, actorOf(c.var.viewer), idParam(c));
    return c.body(null, 204);
  });
  return app;
}
