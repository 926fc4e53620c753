import type { Context } from "hono";
import type { FormState } from "../../views/components/form-field.ts";
import type { RowContext } from "../../views/components/row-context.ts";
import type { Html } from "../../views/html.ts";
import { recordEditRow } from "../../views/records/record-edit-row.ts";
import { recordForm } from "../../views/records/record-form.ts";
import type { RecordView } from "../../views/records/record-view.ts";
import { listUsers } from "../auth/users.ts";
import { ValidationError } from "../core/errors.ts";
import { customColumns } from "../custom-fields/custom-columns.ts";
import type { ParsedCustomValues } from "../custom-fields/field-values.ts";
import { customFormPart } from "../custom-fields/record-form.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { type FormWrite, parseAll, writeFromForm } from "../http/form-write.ts";
import { pageContext, pageCsrfToken, rowContext, wantsFragment } from "../http/page-context.ts";
import { ONCE_FIELD, onceToken } from "../idempotency/once-form.ts";
import { actorOf } from "../identity/viewer.ts";
import { workspaceLocale } from "../settings/workspace-money.ts";
import type { DuplicateHit, KindRecord, PageKind } from "./record-kind.ts";

type C = Context<ViewerEnv>;

/**
 * The parts of a kind's pages its route files share: the full form page, the row on its own
 * and as an inline form, and a submitted form turned into a create or an update.
 */
export function recordFormPages<R extends KindRecord, P extends object, F, X>(
  deps: AppDeps,
  kind: PageKind<R, P, F, X>,
  view: RecordView<R, X>,
) {
  /** A row with its custom columns (a row rendered on its own: after a create, a save, a cancel). */
  const rowWithColumns = (c: C, id: number): RowContext => ({
    ...rowContext(c),
    locale: workspaceLocale(c.var.shard),
    custom: customColumns(c.var.shard, kind.type, [id]),
  });

  return {
    rowWithColumns,

    row: (c: C, record: R): Html => view.row(record, rowWithColumns(c, record.id)),

    /** A stored record's custom values as form values, for its edit form. */
    customValues: (c: C, id: number): Record<string, string> =>
      customFormPart(c.var.shard, kind.type).valuesOf(id),

    /** The full-page form, new (`id` null) or edit. */
    page: (c: C, id: number | null, form: FormState): Html =>
      recordForm(view, {
        ctx: pageContext(c, deps),
        base: `/t/${c.var.tenant.slug}`,
        id,
        // A new record's form carries a one-time token (once-form.ts); shown again after a
        // refusal, it keeps the one it was posted with, so "Create anyway" twice writes once.
        form:
          id === null && !form.values[ONCE_FIELD]
            ? { ...form, values: { ...form.values, [ONCE_FIELD]: onceToken() } }
            : form,
        owners: listUsers(c.var.shard),
        customFields: customFormPart(c.var.shard, kind.type).fields,
        extra: kind.form.extra(c.var.shard),
      }),

    /** The row as its inline edit form. */
    editRow: (c: C, id: number, form: FormState): Html =>
      recordEditRow(view, {
        id,
        form,
        owners: listUsers(c.var.shard),
        ctx: rowWithColumns(c, id),
        csrfToken: pageCsrfToken(c, deps),
        extra: kind.form.extra(c.var.shard),
      }),

    /** Whether a submitted form came from a row (quick add, inline edit) and wants a row back. */
    fromRow: (c: C, fields: Record<string, string>): boolean =>
      fields._fragment === "row" && wantsFragment(c),

    /**
     * Parses a submitted form (built-in and custom fields: one ValidationError naming every bad
     * one) and creates the record, or saves it over `current`; a refusal is the form to show again.
     */
    write: (c: C, fields: Record<string, string>, current: R | null): FormWrite<R> => {
      const shard = c.var.shard;
      const actor = actorOf(c.var.viewer);
      const custom = customFormPart(shard, kind.type);
      let duplicate: DuplicateHit | null = null;
      const result = writeFromForm(fields, () => {
        const [form, customFields] = parseAll<[F, ParsedCustomValues]>(
          () => kind.form.parse(shard, fields, c.var.viewer.id, current),
          () => custom.parse(fields),
        );
        // A would-be duplicate is refused like a bad field, so nothing is written, until the
        // person has seen the existing record and pressed "Create anyway" / "Save anyway".
        if (fields.anyway !== "1") duplicate = kind.form.duplicate?.(shard, form, current) ?? null;
        if (duplicate) throw new ValidationError([{ field: duplicate.field, message: "is already used" }]);
        return current
          ? kind.form.update(shard, actor, current, form, customFields)
          : kind.form.create(shard, actor, form, customFields);
      });
      const found = duplicate as DuplicateHit | null;
      if (result.ok || !found) return result;
      const href = `/t/${c.var.tenant.slug}/${kind.path}/${found.id}`;
      return {
        ...result,
        form: { ...result.form, duplicate: { message: found.message, href, name: found.name } },
      };
    },
  };
}
