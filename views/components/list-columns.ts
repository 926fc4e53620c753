import type { FieldDefinition } from "../../src/custom-fields/field-definitions.ts";
import { type Html, html, trustedHtml } from "../html.ts";
import type { RowContext } from "./row-context.ts";

/** A list's optional columns and which of them are shown (all, when none were chosen). */
export interface ListColumns {
  choices: ColumnChoice[];
  visible?: string[];
}

/** A column a list may show or hide (the record's name, selection and actions always show). */
export interface ColumnChoice {
  key: string;
  label: string;
  /** A column of numbers (amounts, counts): right-aligned. */
  numeric?: boolean;
}

/** The optional columns of a list, in table order: its built-in ones, then its custom fields. */
export function columnChoices(builtIn: ColumnChoice[], customFields: FieldDefinition[]): ColumnChoice[] {
  return [...builtIn, ...customFields.map((f) => ({ key: `cf.${f.key}`, label: f.label }))];
}

/**
 * The chosen columns from a list URL: `cols` as repeated parameters (the filter form's
 * checkboxes) or comma-separated (links). `name` marks a choice of no optional column at all.
 * Unknown keys (a custom field deleted since a view was saved) are dropped: columns are
 * presentation, never part of a query.
 */
export function chosenColumns(raw: string[], choices: ColumnChoice[]): string[] | undefined {
  if (raw.length === 0) return undefined;
  const wanted = new Set(raw.flatMap((value) => value.split(",")));
  return choices.filter((c) => wanted.has(c.key)).map((c) => c.key);
}

/** `name,email,…`: the choice as one URL parameter (for links and saved views). */
export function columnsParam(visible: string[] | undefined): string | undefined {
  return visible ? ["name", ...visible].join(",") : undefined;
}

/**
 * CSS hiding the unchosen columns of a results table. Every row keeps every cell, so a row
 * rendered on its own (after an inline create or save) lines up with the table whatever the
 * choice; `leading` counts the cells before the optional ones (checkbox, name).
 */
function hiddenColumnsCss(
  table: string,
  leading: number,
  choices: ColumnChoice[],
  visible: string[] | undefined,
): string {
  if (!visible) return "";
  const selectors: string[] = [];
  choices.forEach((choice, i) => {
    if (visible.includes(choice.key)) return;
    const n = leading + i + 1;
    selectors.push(
      `${table} > thead > tr > th:nth-child(${n})`,
      `${table} > tbody > tr > td:nth-child(${n})`,
    );
  });
  return selectors.length ? `${selectors.join(",")}{display:none}` : "";
}

/** The `<style>` (carrying the CSP nonce) that hides a results table's unchosen columns. */
export function hiddenColumnsStyle(table: string, row: RowContext, columns: ListColumns | undefined): Html {
  const css = columns ? hiddenColumnsCss(table, row.canWrite ? 2 : 1, columns.choices, columns.visible) : "";
  // The selectors are built from a constant and numbers only: trusted text.
  return css ? html`<style nonce="${row.nonce}">${trustedHtml(css)}</style>` : html``;
}

/** A list's columns from its built-in choices, the workspace's custom fields and the URL's `cols`. */
export function listColumns(
  builtIn: ColumnChoice[],
  customFields: FieldDefinition[],
  cols: string[],
): ListColumns {
  const choices = columnChoices(builtIn, customFields);
  return { choices, visible: chosenColumns(cols, choices) };
}
