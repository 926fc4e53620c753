import { type Context, Hono } from "hono";
import { listColumns } from "../../views/components/list-columns.ts";
import { CONTACT_VIEW } from "../../views/contacts/contact-view.ts";
import { recordResults } from "../../views/records/record-results.ts";
import { ruleBuilder } from "../../views/segments/rule-builder.ts";
import { ruleSummary } from "../../views/segments/rule-summary.ts";
import { segmentFormPage } from "../../views/segments/segment-form-page.ts";
import { segmentPage } from "../../views/segments/segment-page.ts";
import { segmentPreviewContent } from "../../views/segments/segment-preview.ts";
import { segmentCountCell, segmentsPage } from "../../views/segments/segments-page.ts";
import { requireSignedIn } from "../auth/session-middleware.ts";
import { writesNeedMember } from "../auth/write-guard.ts";
import { CONTACT_KIND } from "../contacts/contact-kind.ts";
import { AppError, type FieldIssue, ValidationError } from "../core/errors.ts";
import { customColumns } from "../custom-fields/custom-columns.ts";
import { listFields } from "../custom-fields/field-definitions.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import {
  changedCount,
  formFields,
  idParam,
  pageContext,
  rowContext,
  wantsFragment,
} from "../http/page-context.ts";
import { memberOnly } from "../http/role-guards.ts";
import { actorOf } from "../identity/viewer.ts";
import { parseListParams } from "../lists/list-params.ts";
import { bulkBarProps } from "../records/bulk-bar-props.ts";
import { membersPage, membersParams } from "./members-params.ts";
import { applyIntent, EMPTY_LEAF, type FormGroup, formRules, readRuleForm, ruleForm } from "./rule-form.ts";
import { segmentPage as membersOf, segmentCount } from "./run-segment.ts";
import { segmentBulkRoutes } from "./segment-bulk-routes.ts";
import { segmentCsvResponse } from "./segment-csv-response.ts";
import { type SegmentCatalog, segmentCatalog } from "./segment-fields.ts";
import { builderProps, previewProps, problemTexts, runFor } from "./segment-page-props.ts";
import {
  createSegment,
  deleteSegment,
  getSegment,
  listSegments,
  type SegmentRecord,
  segmentRules,
  updateSegment,
} from "./segments.ts";

type C = Context<ViewerEnv>;

/** A new segment's form: one empty rule to start from. */
const NEW_FORM = (): FormGroup => ({ match: "all", rules: [{ ...EMPTY_LEAF }] });

interface FormPage {
  title: string;
  action: string;
  cancelHref: string;
  name: string;
  form: FormGroup;
  nameError?: string;
  issues?: FieldIssue[];
}

/** The builder page (new or edit) with its live preview counted in the pool; 422 when showing a refused save. */
async function renderForm(
  c: C,
  deps: AppDeps,
  catalog: SegmentCatalog,
  p: FormPage,
  status: 200 | 422 = 200,
) {
  const { preview, issues } = await previewProps(c, deps, catalog, p.form);
  const shown = p.issues ?? issues;
  const page = segmentFormPage({
    ctx: pageContext(c, deps),
    title: p.title,
    action: p.action,
    cancelHref: p.cancelHref,
    name: { values: { name: p.name }, errors: p.nameError ? { name: p.nameError } : {} },
    builder: builderProps(c, catalog, p.form, shown),
    preview,
  });
  return c.html(page.value, status);
}

/**
 * A submitted builder form: "Save" saves it (a 422 shows every problem at its rule, nothing
 * saved); any other button (Preview, Add a rule, Remove…) brings the page back with the change.
 */
async function submitForm(c: C, deps: AppDeps, segment?: SegmentRecord) {
  const base = `/t/${c.var.tenant.slug}/segments`;
  const fields = await formFields(c);
  const catalog = segmentCatalog(c.var.shard);
  const intent = fields.intent ?? "save";
  const form = readRuleForm(fields);
  const page: FormPage = {
    title: segment ? `Edit ${segment.name}` : "New segment",
    action: segment ? `${base}/${segment.id}` : base,
    cancelHref: segment ? `${base}/${segment.id}` : base,
    name: fields.name ?? "",
    form: intent === "save" || intent === "preview" ? form : applyIntent(form, intent),
  };
  if (intent !== "save") return renderForm(c, deps, catalog, page);
  const input = { name: fields.name ?? "", ...formRules(form, catalog) };
  const actor = actorOf(c.var.viewer);
  try {
    const saved = segment
      ? updateSegment(c.var.shard, actor, segment.id, input, deps.now())
      : createSegment(c.var.shard, actor, input, deps.now());
    return c.redirect(`${base}/${saved.id}`, 303);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const nameError = error.issues.find((i) => i.field === "name")?.message;
    const issues = error.issues.filter((i) => i.field !== "name");
    return renderForm(c, deps, catalog, { ...page, nameError, issues }, 422);
  }
}

/** A refusal the list shows in a count's place instead of failing the page: busy, or too slow. */
function isRefusal(error: unknown): error is AppError {
  return error instanceof AppError && (error.status === 503 || error.status === 504);
}

/**
 * /segments: the workspace's saved segments, each one's page (its members in the contacts
 * table, keyset pages, Export CSV, a bulk change of its members), and the rule builder (new
 * and edit) with its live count and preview. Everyone signed in reads them; members and up
 * make, change and delete them. Counting and listing run in the worker pool.
 */
export function segmentRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  app.use(requireSignedIn, writesNeedMember);

  app.get("/", (c) => {
    const ctx = pageContext(c, deps);
    const catalog = segmentCatalog(c.var.shard);
    return c.html(
      segmentsPage({
        ctx,
        base: `/t/${c.var.tenant.slug}`,
        canWrite: rowContext(c).canWrite,
        segments: listSegments(c.var.shard),
        fields: [...catalog.fields.values()],
      }).value,
    );
  });

  app.get("/new", memberOnly, (c) => {
    const base = `/t/${c.var.tenant.slug}/segments`;
    // A link may start the form off (Insights: "the contacts of this RFM segment"): checked when saved, like any form.
    const given = readRuleForm(c.req.query());
    const name = (c.req.query("name") ?? "").slice(0, 100);
    const form = given.rules.length ? given : NEW_FORM();
    const page = { title: "New segment", action: base, cancelHref: base, name, form };
    return renderForm(c, deps, segmentCatalog(c.var.shard), page);
  });

  app.post("/", (c) => submitForm(c, deps));

  // htmx: the builder's fieldset redrawn after a button or a new field; the preview is told to refresh.
  app.post("/builder", async (c) => {
    const fields = await formFields(c);
    const catalog = segmentCatalog(c.var.shard);
    const form = applyIntent(readRuleForm(fields), fields.intent ?? "");
    c.header("HX-Trigger", "segment-rules-changed");
    return c.html(ruleBuilder(builderProps(c, catalog, form, [])).value);
  });

  // htmx: the live count and preview of the rules as typed (a newer request replaces this one and cancels its count).
  app.post("/preview", async (c) => {
    const fields = await formFields(c);
    const catalog = segmentCatalog(c.var.shard);
    const { preview } = await previewProps(c, deps, catalog, readRuleForm(fields));
    return c.html(segmentPreviewContent(preview).value);
  });

  app.get("/exports/:file", (c) => {
    const id = /^([1-9]\d{0,15})\.csv$/.exec(c.req.param("file"))?.[1];
    return segmentCsvResponse(c, deps, getSegment(c.var.shard, Number(id ?? 0)));
  });

  app.get("/:id", async (c) => {
    const shard = c.var.shard;
    const segment = getSegment(shard, idParam(c));
    const base = `/t/${c.var.tenant.slug}`;
    const catalog = segmentCatalog(shard);
    const fields = [...catalog.fields.values()];
    const row = rowContext(c);
    const ctx = pageContext(c, deps);
    const props = {
      ctx,
      base,
      segment,
      summary: ruleSummary(segment.rules, fields),
      canWrite: row.canWrite,
      changed: changedCount(c.req.query("changed")),
    };
    let rules: ReturnType<typeof segmentRules>;
    try {
      rules = segmentRules(shard, segment, catalog);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      return c.html(segmentPage({ ...props, problems: problemTexts(error.issues) }).value);
    }
    // `changed` (a bulk change's notice) and `cols` (the columns shown) shape the page, not the list.
    const { changed: _changed, cols: _cols, ...listQuery } = c.req.query();
    const query = parseListParams(membersParams, listQuery, true);
    const run = runFor(c, deps);
    const { page, count } = await membersOf(run, rules.checked, membersPage(query));
    const href = `${base}/segments/${segment.id}`;
    const customFields = listFields(shard, "contact");
    const results = recordResults(CONTACT_VIEW, {
      page,
      total: count,
      filtered: true,
      href,
      columns: listColumns(CONTACT_VIEW.columns, customFields, c.req.queries("cols") ?? []),
      bulk: row.canWrite
        ? {
            ...bulkBarProps(shard, CONTACT_KIND, base, {}, count, ctx.csrfToken),
            action: `${href}/bulk`,
          }
        : undefined,
      row: {
        ...row,
        custom: customColumns(
          shard,
          "contact",
          page.rows.map((r) => r.id),
        ),
      },
    });
    if (wantsFragment(c) && c.req.header("hx-target") === "contacts-results") return c.html(results.value);
    return c.html(segmentPage({ ...props, total: count, results }).value);
  });

  // The list's count cell (htmx, as the list loads): in the pool, cached until the next write.
  app.get("/:id/count", async (c) => {
    const shard = c.var.shard;
    const segment = getSegment(shard, idParam(c));
    try {
      const rules = segmentRules(shard, segment);
      const { count } = await segmentCount(runFor(c, deps), rules.checked, 0);
      return c.html(segmentCountCell(count).value);
    } catch (error) {
      if (error instanceof ValidationError)
        return c.html(segmentCountCell(undefined, "its rules no longer fit").value);
      if (isRefusal(error)) return c.html(segmentCountCell(undefined, error.message).value);
      throw error;
    }
  });

  app.get("/:id/edit", memberOnly, (c) => {
    const shard = c.var.shard;
    const segment = getSegment(shard, idParam(c));
    const catalog = segmentCatalog(shard);
    const href = `/t/${c.var.tenant.slug}/segments/${segment.id}`;
    return renderForm(c, deps, catalog, {
      title: `Edit ${segment.name}`,
      action: href,
      cancelHref: href,
      name: segment.name,
      form: ruleForm(segment.rules, catalog),
    });
  });

  app.post("/:id", (c) => submitForm(c, deps, getSegment(c.var.shard, idParam(c))));

  app.post("/:id/delete", async (c) => {
    await formFields(c);
    deleteSegment(c.var.shard, actorOf(c.var.viewer), idParam(c));
    return c.redirect(`/t/${c.var.tenant.slug}/segments`, 303);
  });

  app.route("/", segmentBulkRoutes(deps));
  return app;
}
