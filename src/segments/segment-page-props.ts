import type { Context } from "hono";
import { problemPlace, type RuleBuilderProps } from "../../views/segments/rule-builder.ts";
import type { SegmentPreviewProps } from "../../views/segments/segment-preview.ts";
import { AppError, type FieldIssue, ValidationError } from "../core/errors.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { allTags } from "../tags/set-tags.ts";
import { checkRules } from "./check-rules.ts";
import { type FormGroup, formRules, issuesByPath, withoutBlankRules } from "./rule-form.ts";
import { type SegmentRun, segmentCount } from "./run-segment.ts";
import type { SegmentCatalog } from "./segment-fields.ts";
import { MAX_DEPTH } from "./segment-rules.ts";

type C = Context<ViewerEnv>;

/** This request's segment runs: its workspace, its clock, and its signal (a closed request cancels the worker's count). */
export function runFor(c: C, deps: AppDeps): SegmentRun {
  const tenant = c.var.tenant;
  return { pool: deps.pool, shard: c.var.shard, tenant, now: deps.now(), signal: c.req.raw.signal };
}

/** Problems as a person reads them: "Rule 2, value: must be a number". */
export function problemTexts(issues: FieldIssue[]): string[] {
  return issues.map((i) => `${problemPlace(i.field)}: ${i.message}`);
}

/** Refusals a page shows in place of a count instead of failing: the pool is busy, or the count took too long. */
function shownRefusal(error: unknown): error is AppError {
  return error instanceof AppError && (error.status === 503 || error.status === 504);
}

/**
 * The preview of the builder's rules: checked against the workspace, then counted in the pool.
 * Invalid rules give their problems instead (and `issues`, to place beside each rule).
 */
export async function previewProps(
  c: C,
  deps: AppDeps,
  catalog: SegmentCatalog,
  form: FormGroup,
): Promise<{ preview: SegmentPreviewProps; issues: FieldIssue[] }> {
  const base = `/t/${c.var.tenant.slug}`;
  const preview: SegmentPreviewProps = { action: `${base}/segments/preview`, nonce: c.var.nonce, base };
  try {
    // A rule whose field is not chosen yet is left out of the count until it is.
    const checked = checkRules(formRules(withoutBlankRules(form), catalog), catalog);
    const result = await segmentCount(runFor(c, deps), checked.checked);
    return { preview: { ...preview, result }, issues: [] };
  } catch (error) {
    if (error instanceof ValidationError)
      return { preview: { ...preview, problems: problemTexts(error.issues) }, issues: error.issues };
    if (shownRefusal(error)) return { preview: { ...preview, problems: [error.message] }, issues: [] };
    throw error;
  }
}

/** The builder's fieldset: the rules as typed, their problems by path, the fields to choose from. */
export function builderProps(
  c: C,
  catalog: SegmentCatalog,
  form: FormGroup,
  issues: FieldIssue[],
): RuleBuilderProps {
  return {
    form,
    errors: issuesByPath(issues),
    fields: [...catalog.fields.values()],
    tags: allTags(c.var.shard),
    builderAction: `/t/${c.var.tenant.slug}/segments/builder`,
    nonce: c.var.nonce,
    maxDepth: MAX_DEPTH,
  };
}
