import { type Context, Hono } from "hono";
import { COMPANY_VIEW } from "../../views/companies/company-view.ts";
import { CONTACT_VIEW } from "../../views/contacts/contact-view.ts";
import { mergeCandidatesPage } from "../../views/merge/merge-candidates-page.ts";
import { mergePage } from "../../views/merge/merge-page.ts";
import { customMergeRows, mergeRows } from "../../views/merge/merge-rows.ts";
import type { RecordView } from "../../views/records/record-view.ts";
import { requireSignedIn } from "../auth/session-middleware.ts";
import { writesNeedMember } from "../auth/write-guard.ts";
import type { FieldIssue } from "../core/errors.ts";
import { parseOrThrow } from "../core/validation.ts";
import { customColumns } from "../custom-fields/custom-columns.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { writeFromForm } from "../http/form-write.ts";
import { formFields, idParam, pageContext } from "../http/page-context.ts";
import { memberOnly } from "../http/role-guards.ts";
import { actorOf } from "../identity/viewer.ts";
import type { KindRecord } from "../records/record-kind.ts";
import { keptSide } from "./merge-choices.ts";
import {
  CUSTOM_CHOICE_PREFIX,
  formId,
  keepFromForm,
  type MergeSide,
  refuseTooManyChoices,
} from "./merge-input.ts";
import { MERGE_KINDS, type MergeKind } from "./merge-kinds.ts";
import { mergeInPool } from "./merge-pool.ts";

type C = Context<ViewerEnv>;

/** How many candidates a search for the duplicate lists. */
const CANDIDATES = 20;

/** GET and POST /<records>/:id/merge for one kind of record; `:id` is the record that stays. */
function mergePages<R extends KindRecord, X>(
  app: Hono<ViewerEnv>,
  deps: AppDeps,
  { kind, request, moved }: MergeKind<R>,
  view: RecordView<R, X>,
): void {
  const shown = view.mergeShown ?? {};
  const unshown = kind.merge.fields.filter((field) => !(field in shown));
  if (unshown.length) throw new Error(`${view.path}: no merge row for ${unshown.join(", ")}`);
  const route = `/${kind.path}/:id/merge`;
  const recordPath = (c: C, id: number) => `/t/${c.var.tenant.slug}/${kind.path}/${id}`;
  const party = (c: C, record: R) => ({
    id: record.id,
    name: kind.name(record),
    href: recordPath(c, record.id),
    tags: record.tags,
  });

  const candidates = (c: C, survivor: R, query: string, problem?: string) =>
    mergeCandidatesPage({
      ctx: pageContext(c, deps),
      nav: kind.path,
      noun: kind.type,
      nouns: kind.path,
      survivor: party(c, survivor),
      mergePath: `${recordPath(c, survivor.id)}/merge`,
      query,
      candidates: kind
        .list(c.var.shard, { q: query, limit: CANDIDATES })
        .rows.filter((r) => r.id !== survivor.id)
        .map((r) => ({ id: r.id, name: kind.name(r), detail: kind.merge.detail(r) })),
      problem,
    });

  const comparison = (c: C, s: R, d: R, keep: Record<string, string>, errors: FieldIssue[]) => {
    const custom = customColumns(c.var.shard, kind.type, [s.id, d.id]);
    const customOfSurvivor = custom.values.get(s.id) ?? {};
    const rows = [
      ...mergeRows(kind.merge.fields, shown, s, d),
      ...customMergeRows(custom.fields, customOfSurvivor, custom.values.get(d.id) ?? {}),
    ];
    const sides = Object.fromEntries(
      Object.entries(keep).filter(
        (e): e is [string, MergeSide] => e[1] === "survivor" || e[1] === "duplicate",
      ),
    );
    const survivorValue = (key: string) =>
      key.startsWith(CUSTOM_CHOICE_PREFIX)
        ? customOfSurvivor[key.slice(CUSTOM_CHOICE_PREFIX.length)]
        : (s as unknown as Record<string, unknown>)[key];
    return mergePage({
      ctx: pageContext(c, deps),
      nav: kind.path,
      noun: kind.type,
      survivor: party(c, s),
      duplicate: party(c, d),
      rows,
      choices: Object.fromEntries(rows.map((r) => [r.key, keptSide(sides, r.key, survivorValue(r.key))])),
      moved: moved(c.var.shard, d.id),
      action: `${recordPath(c, s.id)}/merge`,
      swapHref: `${recordPath(c, d.id)}/merge?with=${s.id}`,
      errors,
    });
  };

  app.use(route, requireSignedIn, writesNeedMember);

  app.get(route, memberOnly, (c) => {
    const survivor = kind.get(c.var.shard, idParam(c));
    const other = c.req.query("with");
    if (other === undefined) {
      return c.html(candidates(c, survivor, (c.req.query("q") ?? kind.name(survivor)).slice(0, 200)).value);
    }
    const duplicate = kind.get(c.var.shard, formId(other));
    if (duplicate.id === survivor.id) {
      const problem = `Pick another ${kind.type}: one cannot be merged with itself.`;
      return c.html(candidates(c, survivor, kind.name(survivor), problem).value, 422);
    }
    return c.html(comparison(c, survivor, duplicate, {}, []).value);
  });

  app.post(route, async (c) => {
    const shard = c.var.shard;
    const survivor = kind.get(shard, idParam(c));
    const fields = await formFields(c);
    const duplicateId = formId(fields.with);
    if (!duplicateId) {
      const problem = `Pick the ${kind.type} to merge into this one.`;
      return c.html(candidates(c, survivor, kind.name(survivor), problem).value, 422);
    }
    const keep = keepFromForm(fields);
    const result = await writeFromForm(fields, () => {
      refuseTooManyChoices(keep);
      return mergeInPool(deps.pool, c.var.tenant, actorOf(c.var.viewer), c.req.raw.signal, kind.path, {
        ...parseOrThrow(request, { duplicateId, keep }),
        survivorId: survivor.id,
      });
    });
    // Refused: the comparison again, as submitted; a duplicate that is not in this workspace is a 404.
    if (!result.ok)
      return c.html(comparison(c, survivor, kind.get(shard, duplicateId), keep, result.issues).value, 422);
    return c.redirect(recordPath(c, survivor.id), 303);
  });
}

/**
 * The merge pages, under /t/:tenant: /contacts/:id/merge and /companies/:id/merge (every kind
 * in MERGE_KINDS, with its view's comparison rows). Without `?with=` a search for the
 * duplicate; with it, the two side by side to choose from; a POST merges and goes to the
 * record that stayed. Members and up only.
 */
export function mergeRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  mergePages(app, deps, MERGE_KINDS.contacts, CONTACT_VIEW);
  mergePages(app, deps, MERGE_KINDS.companies, COMPANY_VIEW);
  return app;
}
