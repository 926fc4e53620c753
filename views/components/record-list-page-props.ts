import type { UserSummary } from "../../src/auth/users.ts";
import type { FieldDefinition } from "../../src/custom-fields/field-definitions.ts";
import type { Html } from "../html.ts";
import type { PageContext } from "../layouts/page-context.ts";
import type { ListColumns } from "./list-columns.ts";
import type { RowContext } from "./row-context.ts";
import type { SavedViewsBarProps } from "./saved-views-bar.ts";

/** What every record list page (contacts, companies, deals) is given around its results. */
export interface RecordListPageProps {
  ctx: PageContext;
  row: RowContext;
  /** The rendered results section, possibly from the render cache. */
  results: Html;
  filters: Record<string, string | undefined>;
  owners: UserSummary[];
  /** The workspace's custom fields of this kind (sort and filter choices). */
  customFields: FieldDefinition[];
  /** The optional columns and which are shown. */
  columns: ListColumns;
  savedViews: SavedViewsBarProps;
  /** After a bulk change: how many records it changed. */
  changed?: number;
  tags: string[];
}
