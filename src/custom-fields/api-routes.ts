import type { Context } from "hono";
import { Hono } from "hono";
import { z } from "zod";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { ifMatchOf, taggedJson } from "../http/entity-tag.ts";
import { inPoolWhenLarge } from "../http/in-pool-when-large.ts";
import { idParam } from "../http/page-context.ts";
import { readJsonObject } from "../http/read-json.ts";
import { adminOnly } from "../http/role-guards.ts";
import { answerOnce } from "../idempotency/idempotency-middleware.ts";
import { actorOf } from "../identity/viewer.ts";
import { parseListParams } from "../lists/list-params.ts";
import type { Shard } from "../tenancy/shard.ts";
import { changeField, type FieldChange, fieldChangeReach } from "./change-field.ts";
import type { FieldDefinition } from "./field-definitions.ts";
import { fieldJson, getField, listFields } from "./field-definitions.ts";
import { createField } from "./manage-fields.ts";
import { CUSTOM_FIELD_ENTITIES } from "./schema.ts";

/**
 * A field's change or deletion under the request's If-Match: past FANOUT_IN_REQUEST values it
 * rewrites every record holding one, so a large one runs in a worker (shared with Settings → Custom fields).
 */
export function changeFieldFor(
  deps: AppDeps,
  c: Context<ViewerEnv>,
  change: Omit<FieldChange, "actor">,
): Promise<FieldDefinition | null> {
  const full: FieldChange = { ...change, actor: actorOf(c.var.viewer) };
  return inPoolWhenLarge(deps, c, fieldChangeReach(c.var.shard, full), "custom-fields.change", full, () =>
    changeField(c.var.shard, full),
  );
}

/** /api/v1/t/:tenant/custom-fields: the workspace's field definitions. Changing them needs admin (checked by the services). */
export function customFieldApiRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  app.get("/", (c) => {
    parseListParams(z.object({}), c.req.query(), true);
    const data = CUSTOM_FIELD_ENTITIES.flatMap((entity) => listFields(c.var.shard, entity)).map(fieldJson);
    return c.json({ data, nextCursor: null });
  });
  // ETag on GET, If-Match on PATCH and DELETE (src/http/entity-tag.ts).
  const current = (shard: Shard, id: number) => () => fieldJson(getField(shard, id));
  app.get("/:id", (c) => taggedJson(c, current(c.var.shard, idParam(c))()));
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
    const body = await readJsonObject(c);
    const field = await changeFieldFor(deps, c, { id, op: "update", body, ifMatch: ifMatchOf(c) });
    return taggedJson(c, fieldJson(field as FieldDefinition));
  });
  app.delete("/:id", adminOnly, async (c) => {
    await changeFieldFor(deps, c, { id: idParam(c), op: "delete", ifMatch: ifMatchOf(c) });
    return c.body(null, 204);
  });
  return app;
}
