import { REPORTS } from "../../reports/report-catalog.ts";
import { MAX_RANGE_DAYS } from "../../reports/report-filters.ts";
import type { ReportName } from "../../reports/report-types.ts";
import { collectionParameters, listOperation, readErrors } from "./operations.ts";
import { id, nullableId, query, ref } from "./parts.ts";
import { closed } from "./schema-rules.ts";

// The OpenAPI document, part: Reports (src/reports/api-routes.ts).

const day = { type: "string", format: "date" };
const count = { type: "integer", minimum: 0 };
const nullableNumber = { type: ["number", "null"] };

const amount = {
  type: "object",
  required: ["currency", "deals", "amountCents", "weightedCents"],
  properties: {
    currency: { type: "string", description: "ISO 4217" },
    deals: count,
    amountCents: {
      type: "integer",
      description: "The deals' amounts added up, in the currency's minor unit",
    },
    weightedCents: {
      type: "integer",
      description: "The same, weighted by the stage's probability (rounded to whole minor units)",
    },
  },
};

const stage = {
  type: "object",
  required: ["pipelineId", "pipeline", "stageId", "stage", "probability", "deals", "amounts"],
  properties: {
    pipelineId: id,
    pipeline: { type: "string" },
    stageId: id,
    stage: { type: "string" },
    probability: { type: "integer", minimum: 0, maximum: 100 },
    deals: count,
    amounts: { type: "array", items: ref("ReportAmount"), description: "Per currency, most deals first" },
  },
};

const winRateRow = {
  won: count,
  lost: count,
  winRate: { ...nullableNumber, description: "won / (won + lost), 0–1, 4 places; null when none closed" },
  averageCycleDays: {
    ...nullableNumber,
    description: "Mean days from creation to close of the won deals, 1 place; null when none was won",
  },
};
const winRateRequired = ["won", "lost", "winRate", "averageCycleDays"];

const ownerFilter = { ownerId: { ...nullableId, description: "The owner filter; null: everyone" } };
const rangeFilters = {
  type: "object",
  required: ["ownerId", "from", "to", "zone"],
  properties: {
    ...ownerFilter,
    from: day,
    to: day,
    zone: { type: "string", description: "The IANA time zone days were read in" },
  },
};

/** `{report, filters, ...figures}`, each report's answer. */
function answer(name: ReportName, filters: object, figures: Record<string, object>) {
  return {
    type: "object",
    required: ["report", "filters", ...Object.keys(figures)],
    properties: { report: { type: "string", enum: [name] }, filters, ...figures },
  };
}

export const reportSchemas: Record<string, object> = closed({
  ReportAmount: amount,
  ReportStage: stage,
  PipelineReport: answer(
    "pipeline",
    { type: "object", required: ["ownerId"], properties: ownerFilter },
    {
      stages: {
        type: "array",
        items: ref("ReportStage"),
        description: "Every open stage, in pipeline order",
      },
    },
  ),
  WinRateReport: answer("win-rate", rangeFilters, {
    byOwner: {
      type: "array",
      description:
        "Owners with deals closed in the range, most closed first; ownerId null: deals without an owner",
      items: {
        type: "object",
        required: ["ownerId", "owner", ...winRateRequired],
        properties: { ownerId: nullableId, owner: { type: "string" }, ...winRateRow },
      },
    },
    byMonth: {
      type: "array",
      description: "Every month of the range, by month of closing",
      items: {
        type: "object",
        required: ["month", ...winRateRequired],
        properties: { month: { type: "string", pattern: "^\\d{4}-\\d{2}$" }, ...winRateRow },
      },
    },
  }),
  ActivityReport: answer("activity", rangeFilters, {
    owners: {
      type: "array",
      description:
        "Everyone with activity in the range, most active first; ownerId null: entries by an API key or the system",
      items: {
        type: "object",
        required: ["ownerId", "owner"],
        properties: { ownerId: nullableId, owner: { type: "string" } },
      },
    },
    weeks: {
      type: "array",
      description:
        "Every week touching the range (`week` is its Monday); the first and last may be cut by the range",
      items: {
        type: "object",
        required: ["week", "owners"],
        properties: {
          week: day,
          owners: {
            type: "array",
            items: {
              type: "object",
              required: ["ownerId", "call", "meeting", "email", "note", "task", "total"],
              properties: {
                ownerId: nullableId,
                call: count,
                meeting: count,
                email: count,
                note: { ...count, description: "Notes written (note.created)" },
                task: { ...count, description: "Tasks completed (task.completed)" },
                total: count,
              },
            },
          },
        },
      },
    },
  }),
  NewContactsReport: answer("new-contacts", rangeFilters, {
    sourceField: {
      type: ["object", "null"],
      required: ["key", "label"],
      properties: { key: { type: "string" }, label: { type: "string" } },
      description:
        "The contact field read as the source (key `source`, else `lead_source`; text or select), or null",
    },
    sources: {
      type: "array",
      items: { type: ["string", "null"] },
      description:
        "The 8 most common sources in the range, most contacts first (null: no source given); empty without a source field",
    },
    months: {
      type: "array",
      description: "Every month of the range",
      items: {
        type: "object",
        required: ["month", "total", "bySource", "otherSources"],
        properties: {
          month: { type: "string", pattern: "^\\d{4}-\\d{2}$" },
          total: count,
          bySource: {
            type: "array",
            items: count,
            description: "Contacts per source, in the order of `sources`",
          },
          otherSources: { ...count, description: "Contacts from every other source" },
        },
      },
    },
  }),
  ClosingReport: answer(
    "closing",
    {
      type: "object",
      required: ["ownerId", "today"],
      properties: {
        ...ownerFilter,
        today: { ...day, description: "Today in `zone`: it decides the quarters" },
      },
    },
    {
      quarters: {
        type: "array",
        description: "This quarter and the next",
        items: {
          type: "object",
          required: ["quarter", "from", "to", "deals", "amounts", "stages"],
          properties: {
            quarter: { type: "string", pattern: "^\\d{4}-Q[1-4]$" },
            from: day,
            to: day,
            deals: count,
            amounts: { type: "array", items: ref("ReportAmount") },
            stages: {
              type: "array",
              items: ref("ReportStage"),
              description: "The stages with deals expected to close in the quarter",
            },
          },
        },
      },
    },
  ),
});

const SCHEMA: Record<ReportName, string> = {
  pipeline: "PipelineReport",
  "win-rate": "WinRateReport",
  activity: "ActivityReport",
  "new-contacts": "NewContactsReport",
  closing: "ClosingReport",
};

const OPERATION: Record<ReportName, string> = {
  pipeline: "pipelineReport",
  "win-rate": "winRateReport",
  activity: "activityReport",
  "new-contacts": "newContactsReport",
  closing: "closingReport",
};

const parameters = [
  query(
    "from",
    day,
    "First day of the range (in `zone`); default: the 1st of the month eleven months before `to`",
  ),
  query("to", day, "Last day of the range (in `zone`), included; default: today"),
  query("ownerId", id, "Only this user's deals, contacts or activity"),
  query(
    "zone",
    { type: "string", maxLength: 64 },
    "The IANA time zone days, weeks, months and quarters are read in (default UTC); an unknown one is a 422",
  ),
];

export function reportPaths() {
  return Object.fromEntries(
    Object.values(REPORTS).map((report) => [
      `/api/v1/t/{tenant}/reports/${report.name}`,
      {
        parameters: collectionParameters(),
        get: listOperation(
          {
            operationId: OPERATION[report.name],
            summary: `${report.title} report`,
            description: `${report.summary} Computed in the worker pool and kept until the next change to the workspace. \`from\` must not be after \`to\`, and the range may span at most ${MAX_RANGE_DAYS} days (5 years); either is a 422 naming \`from\`, as is an \`ownerId\` that is not a user of the workspace. A malformed parameter is a 400.`,
            tags: ["Reports"],
          },
          parameters,
          {
            description: "The report's figures and the filters they are for",
            schema: ref(SCHEMA[report.name]),
          },
          readErrors(
            [
              422,
              "`from` after `to`, a range past 5 years, an unknown `zone`, or an `ownerId` not in the workspace",
            ],
            [503, "The worker pool is full, or the workspace is busy: try again after `Retry-After` seconds"],
            [504, "The report took too long and was stopped"],
          ),
        ),
      },
    ]),
  );
}
