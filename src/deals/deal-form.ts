import { typedCompanyName } from "../companies/company-input.ts";
import { getContact } from "../contacts/get-contact.ts";
import { type FieldIssue, ValidationError } from "../core/errors.ts";
import { isCurrency } from "../core/money.ts";
import { readTypedAmount, typedAmountText } from "../core/typed-amount.ts";
import { fieldIssues } from "../core/validation.ts";
import { defaultPipeline, listPipelines, workspaceCurrency } from "../pipelines/pipelines.ts";
import { ownerAndTags } from "../records/form-input.ts";
import { workspaceLocale } from "../settings/workspace-money.ts";
import type { Shard } from "../tenancy/shard.ts";
import { type DealCreate, dealCreateInput, lostReasonText } from "./deal-input.ts";
import type { DealRecord } from "./deal-record.ts";

/** A parsed deal form: the API's fields, plus the company typed by name. */
export interface DealForm {
  input: Omit<DealCreate, "companyId">;
  companyName: string;
}

/**
 * Reads a submitted deal form, or throws a ValidationError naming each bad field. The amount is
 * read as typed ("$24,000", "24.000,50", "1 234,50") in the deal's currency and the workspace's
 * locale (readTypedAmount); a refusal says what it understood.
 */
export function parseDealForm(
  fields: Record<string, string>,
  defaults: { currency: string; ownerId: number; locale: string },
): DealForm {
  const currency = (fields.currency || defaults.currency).trim().toUpperCase();
  const issues: FieldIssue[] = [];
  let amountCents = 0;
  if (fields.amount?.trim() && isCurrency(currency)) {
    const read = readTypedAmount(fields.amount, { currency, locale: defaults.locale });
    if (read.ok) amountCents = read.minor;
    else issues.push({ field: "amount", message: read.message });
  }
  const result = dealCreateInput.omit({ companyId: true }).safeParse({
    title: fields.title ?? "",
    amountCents,
    currency,
    expectedCloseOn: fields.expectedCloseOn ?? "",
    stageId: fields.stageId ? Number(fields.stageId) : undefined,
    contactIds: fields.contactId ? [Number(fields.contactId)] : [],
    ...ownerAndTags(fields, defaults.ownerId),
    lostReason: fields.lostReason === undefined ? undefined : fields.lostReason.trim() || null,
  });
  const company = typedCompanyName.safeParse(fields.companyName ?? "");
  if (!company.success)
    issues.push({ field: "companyName", message: company.error.issues[0]?.message ?? "invalid" });
  if (!result.success) issues.push(...fieldIssues(result.error));
  if (issues.length || !result.success || !company.success) throw new ValidationError(issues);
  return { input: result.data, companyName: company.data };
}

/** A stored deal as form values, for the edit form: the amount as the workspace writes it, so it reads back the same. */
export function dealFormValues(d: DealRecord, shard: Shard): Record<string, string> {
  return {
    title: d.title,
    amount: typedAmountText(d.amountCents, { currency: d.currency, locale: workspaceLocale(shard) }),
    currency: d.currency,
    expectedCloseOn: d.expectedCloseOn ?? "",
    stageId: String(d.stageId),
    companyName: d.companyName ?? "",
    ownerId: d.ownerId ? String(d.ownerId) : "",
    tags: d.tags.join(", "),
    // Only a lost deal's form shows (and may correct) why it was lost.
    ...(d.status === "lost" ? { lostReason: d.lostReason ?? "" } : {}),
  };
}

/**
 * A new deal's form: the viewer's, in the workspace's currency, in the first stage of the
 * pipeline asked for (`?pipelineId=`, else the default one). Started from a contact's page
 * (`?contactId=`, a 404 if not in this workspace), it is on that person and named after their
 * company, or after them.
 */
export function newDealValues(
  shard: Shard,
  viewerId: number,
  query: Record<string, string>,
): Record<string, string> {
  const pipelines = listPipelines(shard);
  const pipeline = pipelines.find((p) => p.id === Number(query.pipelineId)) ?? defaultPipeline(shard);
  const values: Record<string, string> = {
    ownerId: String(viewerId),
    currency: workspaceCurrency(shard),
    stageId: String(pipeline.stages[0]?.id ?? ""),
  };
  const contactId = Number(query.contactId);
  if (contactId) {
    const contact = getContact(shard, contactId);
    values.contactId = String(contact.id);
    values.companyName = contact.companyName ?? "";
    values.title = contact.companyName
      ? `${contact.companyName} deal`
      : `${contact.firstName} ${contact.lastName}`.trim();
  }
  return values;
}

/**
 * A stage move as a form sends it (a stage, and why a deal was lost); a 422 without a stage, or
 * with a reason the deal's own edit form would refuse (control or bidi characters, over 200
 * characters: refused whole, never cut).
 */
export function parseStageMove(fields: Record<string, string>): {
  stageId: number;
  lostReason: string | null;
} {
  const stageId = Number(fields.stageId);
  if (!Number.isSafeInteger(stageId) || stageId <= 0)
    throw new ValidationError([{ field: "stageId", message: "is required" }]);
  const reason = lostReasonText.safeParse(fields.lostReason ?? "");
  if (!reason.success)
    throw new ValidationError(fieldIssues(reason.error).map((i) => ({ ...i, field: "lostReason" })));
  return { stageId, lostReason: reason.data || null };
}
