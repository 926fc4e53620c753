import type { JSX } from "hono/jsx/jsx-runtime";

/**
 * The `html` tagged template: every interpolated value is HTML-escaped unless it is itself
 * rendered HTML (an `Html` from this tag or a hono/jsx node). It exists for the hot paths, the
 * list pages: rendering 50 rows took ~540 µs with hono/jsx and ~45 µs with this tag on the
 * same machine (docs/decisions/0002-html-templates-on-hot-paths.md). It composes both ways
 * with hono/jsx: an `Html` is a valid JSX child and a JSX node is a valid value here.
 *
 * Always quote attribute values in templates: escaping covers quotes, not a missing quote.
 */
export class Html {
  /** hono/jsx appends objects flagged `isEscaped` as they are, without escaping them again. */
  readonly isEscaped = true;

  constructor(readonly value: string) {}

  toString(): string {
    return this.value;
  }
}

export type HtmlValue = Html | string | number | boolean | null | undefined | JSX.Element | HtmlValue[];

const escapeHTML = Bun.escapeHTML;

/**
 * Escapes text for HTML (& < > " '). For the few hand-built hot templates (list rows) that
 * use plain template literals: the html tag costs ~4x more per row there (measured 36 µs vs
 * 172 µs for 50 contact rows). Every user-provided value in such a template goes through this.
 */
export const escapeHtml: (text: string) => string = escapeHTML;

function render(value: unknown): string {
  if (typeof value === "string") return escapeHTML(value);
  if (value instanceof Html) return value.value;
  if (typeof value === "number") return String(value);
  if (value === null || value === undefined || value === false || value === true) return "";
  if (Array.isArray(value)) {
    let out = "";
    for (const item of value) out += render(item);
    return out;
  }
  // A hono/jsx node or hono `raw()` string: already rendered and escaped.
  if ((value as { isEscaped?: unknown }).isEscaped === true) return String(value);
  if (value instanceof Promise)
    throw new Error("async components cannot be rendered into an html`` template");
  return escapeHTML(String(value));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] as string;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new Html(out);
}

/** Marks a trusted, static string as HTML. Never pass it anything a user wrote. */
export function trustedHtml(value: string): Html {
  return new Html(value);
}

/** Joins rendered pieces without a separator. */
export function join(items: Iterable<HtmlValue>): Html {
  let out = "";
  for (const item of items) out += render(item);
  return new Html(out);
}
