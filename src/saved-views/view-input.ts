import { z } from "zod";
import { BULK_KINDS, type BulkKindName } from "../bulk/bulk-kinds.ts";
import { RECORD_LIST_MESSAGE, RECORD_LISTS, type RecordPlural } from "../core/record-types.ts";
import { plainText, textProblem } from "../core/validation.ts";
import { parseListParams } from "../lists/list-params.ts";

/** The lists a view can be saved for. */
export const VIEW_LISTS: readonly BulkKindName[] = RECORD_LISTS;
export type ViewList = (typeof VIEW_LISTS)[number];

export const viewInput = z.object({
  list: z.enum(RECORD_LISTS as [RecordPlural, ...RecordPlural[]], RECORD_LIST_MESSAGE),
  name: plainText(60).min(1, "is required"),
  /** The list's query string as the page had it: filters, sort and `cols`; what it decodes to is clean text too. */
  query: z
    .string()
    .max(2000, "is too long")
    .superRefine((query, ctx) => {
      for (const [name, value] of new URLSearchParams(query)) {
        const problem = textProblem(name) ?? textProblem(value);
        if (problem) return void ctx.addIssue({ code: "custom", message: problem });
      }
    }),
  shared: z.preprocess((v) => v === true || v === "on" || v === "true", z.boolean()).default(false),
});

export type ViewInput = z.output<typeof viewInput>;

/**
 * A view's query, checked like a request to its list (400 naming a parameter outside the
 * allow-list) and normalised: paging dropped, empty values dropped, `cols` kept aside.
 */
export function normaliseViewQuery(list: ViewList, query: string): { query: string; columns: string[] } {
  const all = new URLSearchParams(query);
  const columns = all
    .getAll("cols")
    .flatMap((v) => v.split(","))
    .filter(Boolean);
  const filters: Record<string, string> = {};
  for (const [name, value] of all) {
    if (value && name !== "cols" && name !== "cursor" && name !== "limit" && name !== "changed")
      filters[name] = value;
  }
  parseListParams(BULK_KINDS[list].listParams, filters, true);
  return { query: new URLSearchParams(filters).toString(), columns };
}

/** A list's query string from its current values (paging left out, columns last): what a view saves and matches. */
export function listQuery(values: Record<string, string | undefined>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) {
    if (value && name !== "cols" && name !== "cursor" && name !== "limit") query.set(name, value);
  }
  if (values.cols) query.set("cols", values.cols);
  return query.toString();
}
