import { companyFromForm } from "../companies/find-or-create-company.ts";
import { ValidationError } from "../core/errors.ts";
import { example } from "../core/typed-amount.ts";
import {
  getStage,
  listPipelines,
  type PipelineWithStages,
  workspaceCurrency,
} from "../pipelines/pipelines.ts";
import type { RecordKind } from "../records/record-kind.ts";
import { workspaceLocale, workspaceMoney } from "../settings/workspace-money.ts";
import { createDeal } from "./create-deal.ts";
import { type DealForm, dealFormValues, newDealValues, parseDealForm } from "./deal-form.ts";
import { type DealCreate, type DealPatch, dealCreateInput, dealPatchInput } from "./deal-input.ts";
import { DEAL_TABLE, type DealRecord, dealJson } from "./deal-record.ts";
import { deleteDeal } from "./delete-deal.ts";
import { dealsContactIds, getDeal } from "./get-deal.ts";
import { countDeals, type DealListParams, dealFilter, dealListParams, listDeals } from "./list-deals.ts";
import { moveDeal } from "./move-deal.ts";
import { updateDeal } from "./update-deal.ts";

/** What a deal's form needs besides itself, and its list's filters too: the pipelines and their stages. */
export interface DealFormExtra {
  pipelines: PipelineWithStages[];
  /** An amount as the workspace writes it ("12,500.00", "12.500,00"): the amount field's placeholder. */
  amountExample?: string;
}

/**
 * Deals, for everything that treats records alike (see RecordKind). What only deals have (the
 * board, stage moves, won, lost and reopen, the people on a deal) is in their own routes.
 */
export const DEAL_KIND: RecordKind<
  DealRecord,
  DealListParams,
  DealCreate,
  DealPatch,
  DealForm,
  DealFormExtra
> = {
  type: "deal",
  path: "deals",
  name: (d) => d.title,
  get: getDeal,
  listParams: dealListParams,
  list: listDeals,
  count: countDeals,
  filters: ["pipelineId", "stageId", "status", "contactId", "externalId"],
  table: DEAL_TABLE,
  filter: dealFilter,
  create: createDeal,
  update: updateDeal,
  remove: deleteDeal,
  stages: {
    of: (deal) => deal.stageId,
    move: (shard, actor, id, stageId) => {
      moveDeal(shard, actor, id, stageId);
    },
    options: (shard) =>
      listPipelines(shard).flatMap((p) =>
        p.stages.map((s) => ({ value: String(s.id), label: `${p.name}: ${s.name}` })),
      ),
  },
  form: {
    // An amount is typed in the deal's currency (a new deal's: the workspace's, unless chosen).
    parse: (shard, fields, viewerId, current) =>
      parseDealForm(fields, {
        currency: current?.currency ?? workspaceCurrency(shard),
        ownerId: viewerId,
        locale: workspaceLocale(shard),
      }),
    create: (shard, actor, form, customFields) =>
      shard.transaction(() => {
        // A deal made straight into a Lost stage from the page says why, as a move there does.
        if (
          !form.input.lostReason &&
          form.input.stageId &&
          getStage(shard, form.input.stageId)?.kind === "lost"
        )
          throw new ValidationError([
            { field: "lostReason", message: "is needed for a deal in a Lost stage" },
          ]);
        return createDeal(shard, actor, {
          ...form.input,
          companyId: companyFromForm(shard, actor, form),
          customFields,
        });
      }),
    // The edit form moves no deal and changes no people: the stage control and the people section do.
    update: (shard, actor, current, form, customFields) => {
      const { stageId: _stage, contactIds: _people, ...patch } = form.input;
      return shard.transaction(() =>
        updateDeal(shard, actor, current.id, {
          ...patch,
          companyId: companyFromForm(shard, actor, form),
          customFields,
        }),
      );
    },
    values: dealFormValues,
    initial: newDealValues,
    extra: (shard) => ({ pipelines: listPipelines(shard), amountExample: example(workspaceMoney(shard)) }),
  },
  api: {
    createInput: dealCreateInput,
    patchInput: dealPatchInput,
    json: dealJson,
    complete: (shard, deals) => {
      const people = dealsContactIds(
        shard,
        deals.map((d) => d.id),
      );
      return deals.map((deal) => ({ ...deal, contactIds: people.get(deal.id) ?? [] }));
    },
  },
};
