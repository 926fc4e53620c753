import { Hono } from "hono";
import { flashFragment } from "../../views/components/flash.ts";
import { EMPTY_FORM } from "../../views/components/form-field.ts";
import { confirmDeletePage } from "../../views/components/record-form-page.ts";
import { trustedHtml } from "../../views/html.ts";
import { quickAddCreated, quickAddForm } from "../../views/records/quick-add-form.ts";
import { recordListPage } from "../../views/records/record-list-page.ts";
import type { RecordView } from "../../views/records/record-view.ts";
import { requireSignedIn } from "../auth/session-middleware.ts";
import { writesNeedMember } from "../auth/write-guard.ts";
import { NotFoundError } from "../core/errors.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { formFields, idParam, pageContext, pageCsrfToken, wantsFragment } from "../http/page-context.ts";
import { memberOnly } from "../http/role-guards.ts";
import { writeOnce } from "../idempotency/once-form.ts";
import { actorOf } from "../identity/viewer.ts";
import { parseListParams } from "../lists/list-params.ts";
import { liveListCountsFor } from "./live-counts-response.ts";
import { recordFormPages } from "./record-form-page.ts";
import type { KindRecord, PageKind } from "./record-kind.ts";
import { listCountSummary, recordListProps } from "./record-list-props.ts";

/**
 * The pages every kind of record has, under /t/:tenant/<kind>, from its definition and its
 * view: the list (a fragment for htmx), quick add and create, the new and edit forms (in place
 * of a row, or a full page), a save, and delete (a confirmation page without JavaScript, an
 * empty 200 for htmx). Members and up may write. A kind's routes.ts adds what only it has,
 * its own page (GET /:id) among them, after these.
 */
export function recordRoutes<R extends KindRecord, P extends Record<string, unknown>, F, X>(
  deps: AppDeps,
  kind: PageKind<R, P, F, X>,
  view: RecordView<R, X>,
) {
  if (kind.type !== view.type || kind.path !== view.path)
    throw new Error(`${view.path}: not ${kind.path}'s view`);
  const pages = recordFormPages(deps, kind, view);
  const app = new Hono<ViewerEnv>();
  app.use(requireSignedIn, writesNeedMember);
  const list = (slug: string) => `/t/${slug}/${kind.path}`;

  app.get("/", (c) => {
    const props = recordListProps(
      c,
      deps,
      kind,
      view,
      parseListParams(kind.listParams, c.req.query(), false),
    );
    if (wantsFragment(c)) return c.html(props.results);
    const ctx = pageContext(c, deps);
    const extra = kind.form.extra(c.var.shard);
    return c.html(
      recordListPage(view, { ...props, ctx, results: trustedHtml(props.results), newForm: EMPTY_FORM, extra })
        .value,
    );
  });

  // The exact total when the list could only say "more than" (htmx, as the list loads): in the pool.
  app.get("/count", async (c) =>
    c.html(
      await listCountSummary(c, deps, kind, view, parseListParams(kind.listParams, c.req.query(), false)),
    ),
  );

  app.post("/", async (c) => {
    const fields = await formFields(c);
    const quickAdd = view.quickAdd !== undefined && pages.fromRow(c, fields);
    // A full-page form's one-time token: posted twice (a double click on "Create anyway"
    // without JavaScript), it is written once and the repeat goes where the first went.
    const once = quickAdd
      ? { result: pages.write(c, fields, null) }
      : writeOnce(
          c.var.shard,
          { userId: c.var.viewer.id, route: `POST /${kind.path}`, now: deps.now() },
          fields,
          () => pages.write(c, fields, null),
          (record) => `${list(c.var.tenant.slug)}/${record.id}`,
        );
    if ("replayed" in once) return c.redirect(once.replayed, 303);
    const result = once.result;
    const base = `/t/${c.var.tenant.slug}`;
    const form = (state: typeof EMPTY_FORM) =>
      quickAddForm(view, base, state, pageCsrfToken(c, deps), c.var.nonce);
    if (!result.ok) {
      if (!quickAdd) return c.html(pages.page(c, null, result.form).value, 422);
      const headers = { "HX-Retarget": `#new-${kind.type}`, "HX-Reswap": "outerHTML" };
      return c.html(form(result.form).value, 422, headers);
    }
    if (!quickAdd) return c.redirect(`${list(c.var.tenant.slug)}/${result.value.id}`, 303);
    return c.html(
      quickAddCreated(view, pages.row(c, result.value), form(EMPTY_FORM), c.var.nonce).value +
        liveListCountsFor(c, kind, view),
      201,
    );
  });

  app.get("/new", memberOnly, (c) => {
    const values = kind.form.initial(c.var.shard, c.var.viewer.id, c.req.query());
    return c.html(pages.page(c, null, { values, errors: {} }).value);
  });

  if (view.inlineEdit) {
    app.get("/:id/row", (c) => c.html(pages.row(c, kind.get(c.var.shard, idParam(c))).value));
  }

  app.get("/:id/edit", memberOnly, (c) => {
    const record = kind.get(c.var.shard, idParam(c));
    const form = {
      values: { ...kind.form.values(record, c.var.shard), ...pages.customValues(c, record.id) },
      errors: {},
    };
    if (view.inlineEdit && c.req.query("fragment") === "row")
      return c.html(pages.editRow(c, record.id, form).value);
    return c.html(pages.page(c, record.id, form).value);
  });

  app.post("/:id", async (c) => {
    const current = kind.get(c.var.shard, idParam(c));
    const fields = await formFields(c);
    const inline = view.inlineEdit !== undefined && pages.fromRow(c, fields);
    const result = pages.write(c, fields, current);
    if (!result.ok) {
      const again = inline
        ? pages.editRow(c, current.id, result.form)
        : pages.page(c, current.id, result.form);
      return c.html(again.value, 422);
    }
    if (inline) return c.html(pages.row(c, result.value).value);
    return c.redirect(`${list(c.var.tenant.slug)}/${current.id}`, 303);
  });

  app.get("/:id/delete", memberOnly, (c) => {
    const record = kind.get(c.var.shard, idParam(c));
    const path = `${list(c.var.tenant.slug)}/${record.id}`;
    const ctx = pageContext(c, deps);
    const name = kind.name(record);
    return c.html(
      confirmDeletePage({ ctx, nav: kind.path, name, action: `${path}/delete`, cancelHref: path }).value,
    );
  });

  app.post("/:id/delete", (c) => {
    let record: R;
    try {
      record = kind.get(c.var.shard, idParam(c));
    } catch (error) {
      // A plain form post gets the 404 page. In place, the 404 says so in the flash and also
      // takes away the row (deleted in another tab, or a retry whose first answer was lost) and
      // sends the counts, out of band: the row on the screen is of a record that is not there.
      if (!(error instanceof NotFoundError) || !wantsFragment(c)) throw error;
      const gone = `<div hx-swap-oob="delete:#${view.type}-${idParam(c)}"></div>`;
      return c.html(
        `${flashFragment("notice", `That ${view.type} was already deleted.`).value}${gone}${liveListCountsFor(c, kind, view)}`,
        404,
        { "HX-Retarget": "#flash", "HX-Reswap": "innerHTML" },
      );
    }
    kind.remove(c.var.shard, actorOf(c.var.viewer), record.id);
    if (wantsFragment(c)) return c.html(liveListCountsFor(c, kind, view), 200);
    const base = `/t/${c.var.tenant.slug}`;
    return c.redirect(view.links?.afterDelete?.(base, record) ?? list(c.var.tenant.slug), 303);
  });

  return app;
}
