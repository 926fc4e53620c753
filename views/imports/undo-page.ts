import type { ImportView } from "../../src/imports/imports.ts";
import { csrfField } from "../components/form-field.ts";
import { formatCount } from "../components/format.ts";
import { type Html, html } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { NavKey, PageContext } from "../layouts/page-context.ts";

export interface UndoPageProps {
  ctx: PageContext;
  base: string;
  nav?: NavKey;
  record: ImportView;
  /** What Undo would do, counted before the person confirms. */
  preview: { remove: number; restore: number; keep: number };
}

/** "1 record" / "2 records". */
const records = (n: number) => `${formatCount(n)} ${n === 1 ? "record" : "records"}`;

/** Undo's confirmation: how many records it would remove, restore and keep, then the button. */
export function undoPage(p: UndoPageProps): Html {
  const r = p.record;
  const v = p.preview;
  return page(p.ctx, {
    title: `Undo the import of ${r.fileName}`,
    nav: p.nav,
    body: html`<div class="page-head"><h1>Undo the import of ${r.fileName}</h1><a href="${p.base}/imports/${r.id}">Back to the import</a></div>
<ul class="plain counts" id="undo-preview"><li><strong>${records(v.remove)}</strong> it created will be removed</li><li><strong>${records(v.restore)}</strong> it changed get their old values back (fields edited since keep their new values)</li><li><strong>${records(v.keep)}</strong> it created will be kept: changed since the import (edited, with notes, tasks or activity, or linked to records that stay)</li></ul>
<form method="post" action="${p.base}/imports/${r.id}/undo" class="inline">${csrfField(p.ctx.csrfToken)}<button type="submit" class="danger">Confirm Undo</button></form> <a href="${p.base}/imports/${r.id}">Cancel</a>`,
  });
}
