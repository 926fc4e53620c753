import { csrfField, type FormState, textField } from "../components/form-field.ts";
import { type Html, html } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";
import { type RuleBuilderProps, ruleBuilder } from "./rule-builder.ts";
import { type SegmentPreviewProps, segmentPreview } from "./segment-preview.ts";

export interface SegmentFormPageProps {
  ctx: PageContext;
  /** "New segment", "Edit Big customers". */
  title: string;
  /** Where the form posts: a new segment, or this one's changes. */
  action: string;
  cancelHref: string;
  /** The name field, with its error if any. */
  name: FormState;
  builder: RuleBuilderProps;
  preview: SegmentPreviewProps;
}

/**
 * A segment's rule builder, new or edited: its name, its rules and, beside them, who matches.
 * One POST form: "Save" saves it; "Preview", "Add a rule" and the like bring the page back
 * with the change (no JavaScript needed), and htmx does the same in place.
 */
export function segmentFormPage(p: SegmentFormPageProps): Html {
  return page(p.ctx, {
    title: p.title,
    nav: "segments",
    body: html`<div class="page-head"><h1>${p.title}</h1></div>
<form id="segment-form" class="stacked" method="post" action="${p.action}" novalidate>
${csrfField(p.ctx.csrfToken)}
<button type="submit" name="intent" value="preview" class="visually-hidden" tabindex="-1" aria-hidden="true">Preview</button>
${textField({ name: "name", label: "Name", form: p.name, idPrefix: "segment", maxlength: 100, autocomplete: "off" })}
${ruleBuilder(p.builder)}
<div class="form-actions"><button type="submit" name="intent" value="save">Save segment</button> <button type="submit" name="intent" value="preview">Preview</button> <a href="${p.cancelHref}">Cancel</a></div>
</form>
${segmentPreview(p.preview)}`,
  });
}
