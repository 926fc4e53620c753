import { type Context, Hono } from "hono";
import { mergeCandidatesPage } from "../../views/merge/merge-candidates-page.ts";
import { mergePage } from "../../views/merge/merge-page.ts";
import { customMergeRows } from "../../views/merge/merge-rows.ts";
import { requireSignedIn } from "../auth/session-middleware.ts";
import { writesNeedMember } from "../auth/write-guard.ts";
import { type FieldIssue, ValidationError } from "../core/errors.ts";
import { parseOrThrow } from "../core/validation.ts";
import { customColumns } from "../custom-fields/custom-columns.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { formFields, idParam, pageContext } from "../http/page-context.ts";
import { requireRole } from "../identity/roles.ts";
import { actorOf } from "../identity/viewer.ts";
import { linkedCounts } from "./linked-counts.ts";
import { keptSide } from "./merge-choices.ts";
import { CUSTOM_CHOICE_PREFIX, type MergeSide } from "./merge-input.ts";
import { COMPANY_MERGE, CONTACT_MERGE, type MergeKind } from "./merge-kinds.ts";

type C = Context<ViewerEnv>;
type Merged = { id: number; tags: string[] };

/** An id typed into a URL or a form: anything but a positive integer is no id (0). */
function toId(raw: string | undefined): number {
  const id = raw && /^[1-9]\d{0,15}$/.test(raw) ? Number(raw) : 0;
  return Number.isSafeInteger(id) ? id : 0;
}

/** The `keep.<field>` radios of a submitted form, as the service's `keep` (values are validated there). */
function keepFromForm(fields: Record<string, string>): Record<string, string> {
  const keep: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (name.startsWith("keep.")) keep[name.slice("keep.".length)] = value;
  }
  return keep;
}

/** GET and POST /<records>/:id/merge for one kind of record; `:id` is the record that stays. */
function mergeRoutesFor<R extends Merged>(app: Hono<ViewerEnv>, deps: AppDeps, kind: MergeKind<R>): void {
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
      noun: kind.entity,
      nouns: kind.nouns,
      survivor: party(c, survivor),
      mergePath: `${recordPath(c, survivor.id)}/merge`,
      query,
      candidates: kind
        .search(c.var.shard, query)
        .filter((r) => r.id !== survivor.id)
        .map((r) => ({ id: r.id, name: kind.name(r), detail: kind.detail(r) })),
      problem,
    });

  const comparison = (c: C, s: R, d: R, keep: Record<string, string>, errors: FieldIssue[]) => {
    const custom = customColumns(c.var.shard, kind.entity, [s.id, d.id]);
    const customOfSurvivor = custom.values.get(s.id) ?? {};
    const rows = [
      ...kind.rows(s, d),
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
      noun: kind.entity,
      survivor: party(c, s),
      duplicate: party(c, d),
      rows,
      choices: Object.fromEntries(rows.map((r) => [r.key, keptSide(sides, r.key, survivorValue(r.key))])),
      moved: linkedCounts(c.var.shard, kind.entity, d.id),
      action: `${recordPath(c, s.id)}/merge`,
      swapHref: `${recordPath(c, d.id)}/merge?with=${s.id}`,
      errors,
    });
  };

  app.use(route, requireSignedIn, writesNeedMember);

  app.get(route, (c) => {
    requireRole(c.var.viewer.role, "member");
    const survivor = kind.get(c.var.shard, idParam(c));
    const other = c.req.query("with");
    if (other === undefined) {
      return c.html(candidates(c, survivor, (c.req.query("q") ?? kind.name(survivor)).slice(0, 200)).value);
    }
    const duplicate = kind.get(c.var.shard, toId(other));
    if (duplicate.id === survivor.id) {
      const problem = `Pick another ${kind.entity}: one cannot be merged with itself.`;
      return c.html(candidates(c, survivor, kind.name(survivor), problem).value, 422);
    }
    return c.html(comparison(c, survivor, duplicate, {}, []).value);
  });

  app.post(route, async (c) => {
    const shard = c.var.shard;
    const survivor = kind.get(shard, idParam(c));
    const fields = await formFields(c);
    const duplicateId = toId(fields.with);
    if (!duplicateId) {
      const problem = `Pick the ${kind.entity} to merge into this one.`;
      return c.html(candidates(c, survivor, kind.name(survivor), problem).value, 422);
    }
    const keep = keepFromForm(fields);
    try {
      const request = parseOrThrow(kind.request, { duplicateId, keep });
      kind.merge(shard, actorOf(c.var.viewer), { ...request, survivorId: survivor.id });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      // The comparison again, as submitted; a duplicate that is not in this workspace is a 404.
      const duplicate = kind.get(shard, duplicateId);
      return c.html(comparison(c, survivor, duplicate, keep, error.issues).value, 422);
    }
    return c.redirect(recordPath(c, survivor.id), 303);
  });
}

/**
 * The merge pages, under /t/:tenant: /contacts/:id/merge and /companies/:id/merge. Without
 * `?with=` a search for the duplicate; with it, the two side by side to choose from; a POST
 * merges and goes to the record that stayed. Members and up only.
 */
export function mergeRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  mergeRoutesFor(app, deps, CONTACT_MERGE);
  mergeRoutesFor(app, deps, COMPANY_MERGE);
  return app;
}
