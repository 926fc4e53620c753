import { type Context, Hono } from "hono";
import type { FormState } from "../../views/components/form-field.ts";
import { confirmDeletePage, recordFormPage } from "../../views/components/record-form-page.tsx";
import { customFacts } from "../../views/custom-fields/custom-facts.ts";
import { customInputs } from "../../views/custom-fields/custom-inputs.ts";
import { boardSection } from "../../views/deals/board.ts";
import { boardPage } from "../../views/deals/board-page.ts";
import { DEAL_FORM_FIELDS, dealFields } from "../../views/deals/deal-fields.ts";
import { dealPage } from "../../views/deals/deal-page.ts";
import { DEAL_COLUMN_CHOICES } from "../../views/deals/deal-row.ts";
import { dealsPage } from "../../views/deals/deals-page.ts";
import { dealsResults } from "../../views/deals/deals-results.ts";
import { trustedHtml } from "../../views/html.ts";
import { tasksSection } from "../../views/records/tasks-section.ts";
import { timelineSection } from "../../views/records/timeline-section.ts";
import { requireSignedIn } from "../auth/session-middleware.ts";
import { listUsers } from "../auth/users.ts";
import { writesNeedMember } from "../auth/write-guard.ts";
import { getContact } from "../contacts/get-contact.ts";
import { NotFoundError, ValidationError } from "../core/errors.ts";
import { emailAddress } from "../core/validation.ts";
import { customColumns } from "../custom-fields/custom-columns.ts";
import { customFormPart } from "../custom-fields/record-form.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { parseAll, writeFromForm } from "../http/form-write.ts";
import {
  formFields,
  idParam,
  pageContext,
  pageCsrfToken,
  rowContext,
  wantsFragment,
} from "../http/page-context.ts";
import { viewerTimeZone } from "../http/viewer-time-zone.ts";
import { actorOf } from "../identity/viewer.ts";
import { timeline } from "../interactions/timeline.ts";
import { parseListParams } from "../lists/list-params.ts";
import { filterKey, isFiltered } from "../lists/record-filter.ts";
import { renderList } from "../lists/render-cache.ts";
import { defaultPipeline, getPipeline, listPipelines, workspaceCurrency } from "../pipelines/pipelines.ts";
import { recordListPage } from "../records/record-list-page.ts";
import { taskItemContext } from "../tasks/task-item-context.ts";
import { tasksAbout } from "../tasks/tasks.ts";
import { pipelineBoard } from "./board.ts";
import { createDeal } from "./create-deal.ts";
import { dealFormValues, parseDealForm, resolveDealCompany } from "./deal-form.ts";
import { deleteDeal } from "./delete-deal.ts";
import { dealContactIds, getDeal } from "./get-deal.ts";
import { countDeals, dealListParams, listDeals } from "./list-deals.ts";
import { moveDeal } from "./move-deal.ts";
import { updateDeal } from "./update-deal.ts";

type C = Context<ViewerEnv>;

/** Deals: the board (drag between stages), the list, a deal's page, create, edit, move, delete. */
export function dealRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  app.use(requireSignedIn, writesNeedMember);
  const base = (c: C) => `/t/${c.var.tenant.slug}`;

  const board = (c: C, pipelineId: number) => {
    const row = rowContext(c);
    const csrfToken = pageContext(c, deps).csrfToken;
    const stages = getPipeline(c.var.shard, pipelineId).stages;
    return renderList(
      c.var.shard,
      deps.config.renderCache,
      "board",
      JSON.stringify([pipelineId, row.canWrite]),
      { nonce: c.var.nonce, csrfToken },
      (secrets) =>
        boardSection(pipelineBoard(c.var.shard, pipelineId), {
          ...secrets,
          base: row.base,
          canWrite: row.canWrite,
          stages,
        }).value,
    );
  };

  const formPage = (c: C, id: number | null, form: FormState) => {
    const custom = customFormPart(c.var.shard, "deal");
    return recordFormPage({
      ctx: pageContext(c, deps),
      nav: "deals",
      title: id ? "Edit deal" : "New deal",
      action: id ? `${base(c)}/deals/${id}` : `${base(c)}/deals`,
      cancelHref: id ? `${base(c)}/deals/${id}` : `${base(c)}/deals/board`,
      submitLabel: id ? "Save" : "Create deal",
      form,
      shownFields: [...DEAL_FORM_FIELDS, ...custom.inputNames],
      fields: trustedHtml(
        (form.values.contactId
          ? `<input type="hidden" name="contactId" value="${Number(form.values.contactId)}">`
          : "") +
          dealFields(
            form,
            listUsers(c.var.shard),
            listPipelines(c.var.shard),
            base(c),
            c.var.nonce,
            id === null,
          ).value +
          customInputs(custom.fields, form, "deal").value,
      ),
    });
  };

  app.get("/board", (c) => {
    const pipelines = listPipelines(c.var.shard);
    const wanted = Number(c.req.query("pipelineId"));
    const current = pipelines.find((p) => p.id === wanted) ?? pipelines[0];
    if (!current) throw new NotFoundError("pipeline");
    const html = board(c, current.id);
    if (wantsFragment(c)) return c.html(html);
    return c.html(
      boardPage({
        ctx: pageContext(c, deps),
        base: base(c),
        pipelines,
        current,
        canWrite: rowContext(c).canWrite,
        board: trustedHtml(html),
      }).value,
    );
  });

  app.get("/", (c) => {
    const params = parseListParams(dealListParams, c.req.query(), false);
    const shard = c.var.shard;
    const list = recordListPage(c, deps, {
      list: "deals",
      entity: "deal",
      builtInColumns: DEAL_COLUMN_CHOICES,
      params,
      countKey: JSON.stringify([
        filterKey(params),
        params.pipelineId,
        params.stageId,
        params.status,
        params.contactId,
      ]),
      filtered:
        isFiltered(params) ||
        Boolean(params.pipelineId || params.stageId || params.status || params.contactId),
      page: () => listDeals(shard, params),
      count: () => countDeals(shard, params),
      results: dealsResults,
    });
    if (wantsFragment(c)) return c.html(list.results);
    return c.html(
      dealsPage({
        ...list,
        ctx: pageContext(c, deps),
        results: trustedHtml(list.results),
        pipelines: listPipelines(shard),
      }).value,
    );
  });

  app.get("/new", (c) => {
    const pipelines = listPipelines(c.var.shard);
    const pipeline =
      pipelines.find((p) => p.id === Number(c.req.query("pipelineId"))) ?? defaultPipeline(c.var.shard);
    const values: Record<string, string> = {
      ownerId: String(c.var.viewer.id),
      currency: workspaceCurrency(c.var.shard),
      stageId: String(pipeline.stages[0]?.id ?? ""),
    };
    const contactId = Number(c.req.query("contactId"));
    if (contactId) {
      const contact = getContact(c.var.shard, contactId);
      values.contactId = String(contact.id);
      values.companyName = contact.companyName ?? "";
      values.title = contact.companyName
        ? `${contact.companyName} deal`
        : `${contact.firstName} ${contact.lastName}`.trim();
    }
    return c.html(formPage(c, null, { values, errors: {} }).value);
  });

  app.post("/", async (c) => {
    const shard = c.var.shard;
    const actor = actorOf(c.var.viewer);
    const fields = await formFields(c);
    const custom = customFormPart(shard, "deal");
    const result = writeFromForm(fields, () => {
      const [form, customFields] = parseAll(
        () => parseDealForm(fields, { currency: workspaceCurrency(shard), ownerId: c.var.viewer.id }),
        () => custom.parse(fields),
      );
      return shard.transaction(() =>
        createDeal(shard, actor, {
          ...form.input,
          companyId: resolveDealCompany(shard, actor, form),
          customFields,
        }),
      );
    });
    if (!result.ok) return c.html(formPage(c, null, result.form).value, 422);
    return c.redirect(`${base(c)}/deals/${result.value.id}`, 303);
  });

  /**
   * A deal's page goes through the render cache like the lists: per deal, viewer, time zone
   * and minute (a task turns overdue with the clock, not with a write), rebuilt after any write.
   */
  app.get("/:id", (c) => {
    const shard = c.var.shard;
    const id = idParam(c);
    const viewer = c.var.viewer;
    const history = c.req.query("view") === "history";
    const zone = viewerTimeZone(c);
    const minute = Math.floor(deps.now() / 60_000);
    const key = JSON.stringify([id, viewer.id, viewer.role, zone, minute, history]);
    const secrets = { nonce: c.var.nonce, csrfToken: pageCsrfToken(c, deps) };
    const page = renderList(
      shard,
      deps.config.renderCache,
      "deal-page",
      key,
      secrets,
      ({ nonce, csrfToken }) => {
        const deal = getDeal(shard, id);
        const ctx = { ...pageContext(c, deps), nonce, csrfToken };
        const row = { ...rowContext(c), nonce };
        const subject = { type: "deal" as const, id: deal.id };
        const people = dealContactIds(shard, deal.id).map((contactId) => getContact(shard, contactId));
        const custom = customColumns(shard, "deal", [deal.id]);
        return dealPage({
          ctx,
          deal,
          stages: getPipeline(shard, deal.pipelineId).stages,
          people,
          row,
          customFacts: customFacts(custom.fields, custom.values.get(deal.id) ?? {}),
          tasks: tasksSection(
            tasksAbout(shard, "deal", deal.id),
            { ...taskItemContext(c, csrfToken, false, minute * 60_000), nonce },
            subject,
            listUsers(shard),
            viewer.id,
          ),
          timeline: timelineSection({
            base: row.base,
            subject,
            page: timeline(shard, subject, { changesOnly: history }),
            nonce,
            csrfToken,
            canWrite: row.canWrite,
            history,
          }),
        }).value;
      },
      256,
    );
    return c.html(page);
  });

  app.get("/:id/edit", (c) => {
    const deal = getDeal(c.var.shard, idParam(c));
    const values = { ...dealFormValues(deal), ...customFormPart(c.var.shard, "deal").valuesOf(deal.id) };
    return c.html(formPage(c, deal.id, { values, errors: {} }).value);
  });

  app.post("/:id", async (c) => {
    const shard = c.var.shard;
    const actor = actorOf(c.var.viewer);
    const deal = getDeal(shard, idParam(c));
    const fields = await formFields(c);
    const custom = customFormPart(shard, "deal");
    const result = writeFromForm(fields, () => {
      const [form, customFields] = parseAll(
        () => parseDealForm(fields, { currency: deal.currency, ownerId: c.var.viewer.id }),
        () => custom.parse(fields),
      );
      const { stageId: _stage, contactIds: _people, ...patch } = form.input;
      return shard.transaction(() =>
        updateDeal(shard, actor, deal.id, {
          ...patch,
          companyId: resolveDealCompany(shard, actor, form),
          customFields,
        }),
      );
    });
    if (!result.ok) return c.html(formPage(c, deal.id, result.form).value, 422);
    return c.redirect(`${base(c)}/deals/${deal.id}`, 303);
  });

  /** Moving a deal: from the board (drag and drop, or "Move to…"), or the deal's page. */
  app.post("/:id/stage", async (c) => {
    const fields = await formFields(c);
    const stageId = Number(fields.stageId);
    if (!Number.isSafeInteger(stageId) || stageId <= 0)
      throw new ValidationError([{ field: "stageId", message: "is required" }]);
    const deal = moveDeal(c.var.shard, actorOf(c.var.viewer), idParam(c), stageId, {
      lostReason: fields.lostReason?.trim().slice(0, 200) || null,
    });
    if (wantsFragment(c)) return c.html(board(c, deal.pipelineId));
    return c.redirect(
      fields._fragment === "board"
        ? `${base(c)}/deals/board?pipelineId=${deal.pipelineId}`
        : `${base(c)}/deals/${deal.id}`,
      303,
    );
  });

  app.post("/:id/contacts", async (c) => {
    const shard = c.var.shard;
    const deal = getDeal(shard, idParam(c));
    const fields = await formFields(c);
    const email = emailAddress.safeParse(fields.email ?? "");
    const contact = email.success
      ? (shard.statement("SELECT id FROM contacts WHERE email = ? ORDER BY id LIMIT 1").get(email.data) as {
          id: number;
        } | null)
      : null;
    if (!contact)
      throw new ValidationError([
        { field: "email", message: "is not the email of a contact in this workspace" },
      ]);
    const contactIds = [...new Set([...dealContactIds(shard, deal.id), contact.id])].sort((a, b) => a - b);
    updateDeal(shard, actorOf(c.var.viewer), deal.id, { contactIds });
    return c.redirect(`${base(c)}/deals/${deal.id}`, 303);
  });

  app.post("/:id/contacts/:contactId/delete", (c) => {
    const shard = c.var.shard;
    const deal = getDeal(shard, idParam(c));
    const remove = idParam(c, "contactId");
    const contactIds = dealContactIds(shard, deal.id).filter((id) => id !== remove);
    updateDeal(shard, actorOf(c.var.viewer), deal.id, { contactIds });
    return c.redirect(`${base(c)}/deals/${deal.id}`, 303);
  });

  app.get("/:id/delete", (c) => {
    const deal = getDeal(c.var.shard, idParam(c));
    return c.html(
      confirmDeletePage({
        ctx: pageContext(c, deps),
        nav: "deals",
        name: deal.title,
        action: `${base(c)}/deals/${deal.id}/delete`,
        cancelHref: `${base(c)}/deals/${deal.id}`,
      }).value,
    );
  });

  app.post("/:id/delete", (c) => {
    const deal = getDeal(c.var.shard, idParam(c));
    deleteDeal(c.var.shard, actorOf(c.var.viewer), deal.id);
    if (wantsFragment(c)) return c.body(null, 200);
    return c.redirect(`${base(c)}/deals/board?pipelineId=${deal.pipelineId}`, 303);
  });

  return app;
}
