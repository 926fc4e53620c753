import { Hono } from "hono";
import { z } from "zod";
import { parseOrThrow } from "../core/validation.ts";
import type { ViewerEnv } from "../http/app-env.ts";
import { idParam } from "../http/page-context.ts";
import { readJsonObject } from "../http/read-json.ts";
import { requireRole } from "../identity/roles.ts";
import { parseListParams } from "../lists/list-params.ts";
import {
  createField,
  deleteField,
  type FieldDefinition,
  fieldInput,
  fieldPatchInput,
  getField,
  listFields,
  updateField,
} from "./field-definitions.ts";
import { CUSTOM_FIELD_ENTITIES } from "./schema.ts";

function fieldJson(f: FieldDefinition) {
  return {
    id: f.id,
    entity: f.entity,
    key: f.key,
    label: f.label,
    type: f.type,
    options: f.options,
    position: f.position,
  };
}

/** /api/v1/t/:tenant/custom-fields: the workspace's field definitions. Changing them needs admin. */
export function customFieldApiRoutes() {
  const app = new Hono<ViewerEnv>();
  app.get("/", (c) => {
    parseListParams(z.object({}), c.req.query(), true);
    const data = CUSTOM_FIELD_ENTITIES.flatMap((entity) => listFields(c.var.shard, entity)).map(fieldJson);
    return c.json({ data, nextCursor: null });
  });
  app.get("/:id", (c) => c.json(fieldJson(getField(c.var.shard, idParam(c)))));
  app.post("/", async (c) => {
    requireRole(c.var.viewer.role, "admin");
    const created = createField(c.var.shard, parseOrThrow(fieldInput, await readJsonObject(c)));
    c.header("Location", `/api/v1/t/${c.var.tenant.slug}/custom-fields/${created.id}`);
    return c.json(fieldJson(created), 201);
  });
  app.patch("/:id", async (c) => {
    requireRole(c.var.viewer.role, "admin");
    const id = getField(c.var.shard, idParam(c)).id;
    return c.json(
      fieldJson(updateField(c.var.shard, id, parseOrThrow(fieldPatchInput, await readJsonObject(c)))),
    );
  });
  app.delete("/:id", (c) => {
    requireRole(c.var.viewer.role, "admin");
    deleteField(c.var.shard, idParam(c));
    return c.body(null, 204);
  });
  return app;
}
