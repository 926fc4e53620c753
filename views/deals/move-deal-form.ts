import type { Stage } from "../../src/pipelines/schema.ts";
import { csrfField, type FormState } from "../components/form-field.ts";
import { type Html, html, join } from "../html.ts";
import { lostReasonField } from "./lost-reason-field.ts";

export interface MoveDealFormProps {
  /** The deal's stage URL, /t/<slug>/deals/<id>/stage; empty in the board's dialog until a card opens it. */
  action: string;
  csrfToken: string;
  /** The stages to offer, in pipeline order. */
  stages: Stage[];
  /** The stage the deal is in: left out (the page) or hidden by app.js per card (the dialog). */
  currentStageId?: number;
  /** Keeps the reason field's id unique (the page and the board's dialog). */
  idPrefix?: string;
  /** The reason as typed and its error, after a move to Lost without one. */
  form?: FormState;
}

/**
 * "Move to…": a button per stage, posting the deal's new stage and coming back to the board
 * (_fragment=board), and, when the pipeline has a Lost stage, why it was lost (required for that
 * stage, checked by the server and, in the dialog, by app.js). The board holds one of these in a
 * dialog for all its cards; without JavaScript, a card's link opens the same form on a page of
 * its own.
 */
export function moveDealForm(p: MoveDealFormProps): Html {
  const lost = p.stages.some((s) => s.kind === "lost" && s.id !== p.currentStageId);
  return html`<form class="move-form" method="post" action="${p.action}">${csrfField(p.csrfToken)}<input type="hidden" name="_fragment" value="board"><div class="move-stages">${join(
    p.stages
      .filter((s) => s.id !== p.currentStageId)
      .map(
        (s) =>
          html`<button type="submit" name="stageId" value="${s.id}" data-kind="${s.kind}">${s.name}</button>`,
      ),
  )}</div>${lost ? lostReasonField({ idPrefix: p.idPrefix ?? "move", form: p.form, label: "Lost because (needed for a Lost stage)" }) : ""}</form>`;
}
