import type { Context } from "hono";
import type { ImportPageProps, MappingColumn, TargetOption } from "../../views/imports/import-page.ts";
import { getBackgroundTask } from "../background/background-tasks.ts";
import { runsHere } from "../background/start-background-task.ts";
import type { FieldIssue } from "../core/errors.ts";
import { RECORD_PLURALS } from "../core/record-types.ts";
import { listFields } from "../custom-fields/field-definitions.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { pageContext, pageCsrfToken } from "../http/page-context.ts";
import { hasRole } from "../identity/roles.ts";
import { actorOf } from "../identity/viewer.ts";
import { DELIMITER_LABELS, ENCODING_LABELS, IMPORT_DELIMITERS, IMPORT_ENCODINGS } from "./detect-format.ts";
import { IMPORT_FIELDS, normaliseHeader } from "./import-fields.ts";
import type { ImportView } from "./imports.ts";
import { DATE_ORDER_LABELS, DATE_ORDERS } from "./parse-cells.ts";

type C = Context<ViewerEnv>;

/** The import's latest task as its progress section shows it, if the viewer may see it; and whether it is still going. */
export function importTask(c: C, deps: AppDeps, record: ImportView) {
  if (record.taskId === null) return { task: undefined, busy: false };
  try {
    const task = getBackgroundTask(
      c.var.shard,
      actorOf(c.var.viewer),
      record.taskId,
      runsHere(c.var.tenant.id),
    );
    const busy = !task.finished && !task.interrupted;
    const props = {
      task,
      href: `/t/${c.var.tenant.slug}/background/${task.id}`,
      nonce: c.var.nonce,
      csrfToken: pageCsrfToken(c, deps),
    };
    return { task: busy || task.status === "failed" || task.interrupted ? props : undefined, busy };
  } catch {
    // Started by someone whose tasks this viewer does not see (an admin's undo of a member's import).
    return { task: undefined, busy: false };
  }
}

/** The menus of the mapping screen: leave out, the kind's fields, its custom fields, and a new one (admins). */
function targetOptions(c: C, record: ImportView): TargetOption[] {
  const custom = listFields(c.var.shard, record.kind);
  return [
    { value: "", label: "Leave out", group: "" },
    ...IMPORT_FIELDS[record.kind].map((f) => ({ value: f.key, label: f.label, group: "Fields" })),
    ...custom.map((f) => ({ value: `cf:${f.key}`, label: f.label, group: "Custom fields" })),
    ...(hasRole(c.var.viewer.role, "admin")
      ? [{ value: "new", label: "New custom field (text)", group: "Custom fields" }]
      : []),
  ];
}

/**
 * The import page's props: the file's columns with their first values and targets (as saved,
 * or as just submitted with the errors at each column), the menus, and the latest task.
 */
export function importPageProps(
  c: C,
  deps: AppDeps,
  record: ImportView,
  refused?: { form: Record<string, string>; issues: FieldIssue[] },
): ImportPageProps {
  const errors = new Map((refused?.issues ?? []).map((i) => [i.field, i.message]));
  const firstByName = new Map<string, number>();
  const columns: MappingColumn[] = record.columns.map((header, index) => {
    const normal = normaliseHeader(header) || header;
    const first = firstByName.get(normal);
    if (first === undefined) firstByName.set(normal, index);
    return {
      index,
      header,
      samples: record.sample.rows.map((row) => row[index] ?? ""),
      target: refused ? (refused.form[`col_${index}`] ?? "") : (record.mapping?.targets[index] ?? ""),
      sameNameAs: first,
      error: errors.get(`col_${index}`),
    };
  });
  const { task, busy } = importTask(c, deps, record);
  return {
    ctx: pageContext(c, deps),
    base: `/t/${c.var.tenant.slug}`,
    nav: RECORD_PLURALS[record.kind],
    record: refused
      ? {
          ...record,
          mapping: {
            targets: columns.map((col) => col.target),
            dateOrder: (refused.form.dateOrder ?? "auto") as never,
            nullAsEmpty: refused.form.nullAsEmpty === "on",
          },
        }
      : record,
    kindPlural: RECORD_PLURALS[record.kind],
    columns,
    targets: targetOptions(c, record),
    encodings: IMPORT_ENCODINGS.map((e) => ({ value: e, label: ENCODING_LABELS[e] })),
    delimiters: IMPORT_DELIMITERS.map((d) => ({ value: d, label: DELIMITER_LABELS[d] ?? d })),
    dateOrders: DATE_ORDERS.map((o) => ({ value: o, label: DATE_ORDER_LABELS[o] })),
    mappingErrors: (refused?.issues ?? [])
      .filter((i) => !i.field.startsWith("col_"))
      .map((i) => (i.field === "mapping" ? i.message : `${i.field}: ${i.message}`)),
    canWrite: hasRole(c.var.viewer.role, "member"),
    task,
    busy,
  };
}
