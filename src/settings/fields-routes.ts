import { type Context, Hono } from "hono";
import { EMPTY_FORM, type FormState } from "../../views/components/form-field.ts";
import { fieldsPage } from "../../views/settings/fields-page.ts";
import { changeFieldFor } from "../custom-fields/api-routes.ts";
import { listFields } from "../custom-fields/field-definitions.ts";
import { createField, keyFromLabel } from "../custom-fields/manage-fields.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { writeFromForm } from "../http/form-write.ts";
import { formFields, idParam, pageContext } from "../http/page-context.ts";
import { adminOnly } from "../http/role-guards.ts";
import { hasRole } from "../identity/roles.ts";
import { actorOf } from "../identity/viewer.ts";

type C = Context<ViewerEnv>;

/** A textarea's options, one per line (blank lines ignored). */
function optionLines(text: string | undefined): string[] {
  return (text ?? "")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
}

/** Settings → Custom fields (viewing for everyone, changes for owners and admins). Mounted at /settings. */
export function fieldSettingsRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();

  const render = (c: C, form: FormState = EMPTY_FORM, problem?: string) =>
    c.html(
      fieldsPage({
        ctx: pageContext(c, deps),
        base: `/t/${c.var.tenant.slug}`,
        fields: {
          contact: listFields(c.var.shard, "contact"),
          company: listFields(c.var.shard, "company"),
          deal: listFields(c.var.shard, "deal"),
        },
        canEdit: hasRole(c.var.viewer.role, "admin"),
        form,
        problem,
      }).value,
      form.errors && Object.keys(form.errors).length ? 422 : problem ? 422 : 200,
    );

  const back = (c: C) => c.redirect(`/t/${c.var.tenant.slug}/settings/fields`, 303);

  app.get("/fields", (c) => render(c));

  app.post("/fields", adminOnly, async (c) => {
    const fields = await formFields(c);
    const created = writeFromForm(fields, () =>
      createField(c.var.shard, actorOf(c.var.viewer), {
        entity: fields.entity,
        label: fields.label,
        key: fields.key?.trim() || keyFromLabel(fields.label ?? ""),
        type: fields.type,
        options: optionLines(fields.options),
      }),
    );
    return created.ok ? back(c) : render(c, created.form);
  });

  app.post("/fields/:id", adminOnly, async (c) => {
    const fields = await formFields(c);
    const body = {
      label: fields.label,
      ...(fields.options === undefined ? {} : { options: optionLines(fields.options) }),
    };
    const updated = await writeFromForm(fields, () =>
      changeFieldFor(deps, c, { id: idParam(c), op: "update", body }),
    );
    return updated.ok ? back(c) : render(c, EMPTY_FORM, updated.problems.join("; "));
  });

  app.post("/fields/:id/delete", adminOnly, async (c) => {
    await changeFieldFor(deps, c, { id: idParam(c), op: "delete" });
    return back(c);
  });

  return app;
}
