import type { UserSummary } from "../../src/auth/users.ts";
import type { RecordType } from "../../src/core/record-types.ts";
import type { RecordPath } from "../../src/records/record-kind.ts";
import type { FormState, SelectOption } from "../components/form-field.ts";
import type { ColumnChoice } from "../components/list-columns.ts";
import type { ListFiltersOptions } from "../components/list-filters.ts";
import type { RowContext } from "../components/row-context.ts";
import type { Html } from "../html.ts";
import type { MergeShown } from "../merge/merge-rows.ts";

/** What a kind's form fields are given (a full page, an inline row or quick add). */
export interface RecordFieldsProps<X> {
  form: FormState;
  owners: UserSummary[];
  /** Keeps ids unique when several forms share a page ("contact", "edit-5"). */
  idPrefix: string;
  /** The workspace's URL prefix, `/t/<slug>`. */
  base: string;
  nonce: string;
  /** A new record's form (deals choose their stage only then). */
  isNew: boolean;
  extra: X;
}

/**
 * The view half of a kind of record (src/records/record-kind.ts is the other): the list's
 * columns and row, its filters, its form fields, how quick add and inline editing look, and
 * its merge comparison. The generic views (record-results, record-list-page, record-form,
 * record-edit-row, quick-add-form) render every kind from it; a new kind writes one of these
 * in views/<kind>/<kind>-view.ts, with its row in a `*-row.raw.ts` (hand-escaped: it is the hot path).
 */
export interface RecordView<R extends { id: number }, X = unknown> {
  type: RecordType;
  path: RecordPath;
  /** The first column's header: "Name", "Deal". */
  nameHeader: string;
  /** The optional columns, in the row's order (the name, selection and actions always show). */
  columns: ColumnChoice[];
  /** One record in the list; the list, a search, a create and a save all render this row. */
  row(record: R, ctx: RowContext): Html;
  list: {
    searchPlaceholder: string;
    sorts: SelectOption[];
    /** Filters only this kind has, as `[name, label, options]` selects. */
    filters?(extra: X): ListFiltersOptions["extra"];
    /** The list page's header actions (default: a "New …" button for those who may write). */
    actions?(base: string, canWrite: boolean): Html;
  };
  /** The built-in inputs of the full form, so their errors show beside them. */
  formFields: readonly string[];
  fields(p: RecordFieldsProps<X>): Html;
  /** Where its pages go besides the record and the list: cancelling a new record, after a delete. */
  links?: { newCancel?(base: string): string; afterDelete?(base: string, record: R): string };
  /** Quick add above the list: its inputs, the fields they show, and its labels. */
  quickAdd?: {
    label: string;
    button: string;
    fields: readonly string[];
    inputs(p: { form: FormState; base: string; nonce: string }): Html;
  };
  /** Rows that turn into their edit form in place: the ids of that form's inputs. */
  inlineEdit?: { idPrefix(id: number): string };
  /** How each built-in merge field shows in a merge's comparison (kinds that can be merged). */
  mergeShown?: MergeShown<R>;
}
