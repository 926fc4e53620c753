/**
 * Rendered HTML: what every view returns (docs/decisions/0002-one-rendering-rule.md). Views
 * write it with the `html` tag below, which escapes every interpolated value that is not
 * itself `Html`; 50 list rows cost ~100 µs that way, against ~550 µs with hono/jsx
 * (scripts/bench/render-styles.ts).
 *
 * Always quote attribute values in templates: escaping covers quotes, not a missing quote.
 */
export class Html {
  /** Hono (c.html, its raw() and hono/jsx) takes objects flagged `isEscaped` as they are, without escaping them again. */
  readonly isEscaped = true;

  constructor(readonly value: string) {}

  toString(): string {
    return this.value;
  }
}

export type HtmlValue = Html | string | number | boolean | null | undefined | HtmlValue[];

const escapeHTML = Bun.escapeHTML;

/**
 * Escapes text for HTML (& < > " '). Only for hot templates that build plain strings by hand
 * (list rows, board cards), which are named `*.raw.ts`: the html tag costs ~2.5x as much per
 * row there (scripts/bench/render-styles.ts). Every text value in such a template goes through
 * this; test/views-hostile.test.ts checks that no other file imports it.
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
  // Hono's own rendered HTML (a raw() string, a hono/jsx node): already escaped.
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
