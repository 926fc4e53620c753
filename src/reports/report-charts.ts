import { amountText, minorDigits } from "../core/money.ts";
import type { ChartSeries, ChartSpec, TableCell } from "./chart-spec.ts";
import type {
  ActivityFigures,
  Amount,
  ClosingFigures,
  NewContactsFigures,
  PipelineFigures,
  ReportFigures,
  ReportName,
  StageFigures,
  WinRateFigures,
} from "./report-types.ts";

/** Series drawn one by one in a stacked chart; the rest are added up as one. */
const MAX_STACKED = 7;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** "2026-01" → "Jan 2026". */
export function monthLabel(month: string): string {
  return `${MONTHS[Number(month.slice(5, 7)) - 1] ?? month} ${month.slice(0, 4)}`;
}

/** "2026-03-02" → "2 Mar". */
function weekLabel(monday: string): string {
  return `${Number(monday.slice(8, 10))} ${MONTHS[Number(monday.slice(5, 7)) - 1] ?? ""}`;
}

/** "2026-Q3" → "Q3 2026". */
function quarterLabel(quarter: string): string {
  return `${quarter.slice(5)} ${quarter.slice(0, 4)}`;
}

const major = (minor: number, currency: string) => minor / 10 ** minorDigits(currency);
const percent = (rate: number | null) => (rate === null ? null : Math.round(rate * 1000) / 10);

/**
 * The currency money charts are drawn in: the one most of the report's deals are in (ties:
 * the workspace's, then by code). Amounts in other currencies are in the tables.
 */
function chartCurrency(amounts: Amount[], workspaceCurrency: string): string {
  const deals = new Map<string, number>();
  for (const a of amounts) deals.set(a.currency, (deals.get(a.currency) ?? 0) + a.deals);
  let best = workspaceCurrency;
  for (const [currency, n] of deals) {
    const have = deals.get(best) ?? 0;
    if (n > have || (n === have && best !== workspaceCurrency && currency < best)) best = currency;
  }
  return best;
}

/** A note naming the deals a money chart leaves out, if any. */
function otherCurrencies(amounts: Amount[], currency: string): string | undefined {
  const others = amounts.filter((a) => a.currency !== currency);
  if (!others.length) return undefined;
  const deals = others.reduce((n, a) => n + a.deals, 0);
  const codes = [...new Set(others.map((a) => a.currency))].sort().join(", ");
  return `Amounts in ${currency}. ${deals} deal${deals === 1 ? "" : "s"} in ${codes} ${deals === 1 ? "is" : "are"} in the table only.`;
}

/** Weighted forecast and the rest of the amount, per stage, in `currency`. */
function forecastSeries(groups: Amount[][], currency: string): ChartSeries[] {
  const inCurrency = groups.map((amounts) => amounts.find((a) => a.currency === currency));
  return [
    { name: "Weighted forecast", values: inCurrency.map((a) => major(a?.weightedCents ?? 0, currency)) },
    {
      name: "Rest of the amount",
      values: inCurrency.map((a) => major((a?.amountCents ?? 0) - (a?.weightedCents ?? 0), currency)),
    },
  ];
}

/** A stage's rows in a table: one per currency, or one with no currency when it has no deals. */
function stageRows(stage: StageFigures, before: TableCell[]): TableCell[][] {
  if (!stage.amounts.length) return [[...before, stage.stage, stage.probability, 0, null, null, null]];
  return stage.amounts.map((a) => [
    ...before,
    stage.stage,
    stage.probability,
    a.deals,
    a.currency,
    amountText(a.amountCents, a.currency),
    amountText(a.weightedCents, a.currency),
  ]);
}

const STAGE_COLUMNS = [
  { label: "Stage" },
  { label: "Probability (%)", numeric: true },
  { label: "Deals", numeric: true },
  { label: "Currency" },
  { label: "Amount", numeric: true },
  { label: "Weighted forecast", numeric: true },
];

function pipelineCharts(f: PipelineFigures, workspaceCurrency: string): ChartSpec[] {
  const pipelines = new Map<number, StageFigures[]>();
  for (const stage of f.stages)
    pipelines.set(stage.pipelineId, [...(pipelines.get(stage.pipelineId) ?? []), stage]);
  return [...pipelines.entries()].map(([id, stages]) => {
    const all = stages.flatMap((s) => s.amounts);
    const currency = chartCurrency(all, workspaceCurrency);
    const name = stages[0]?.pipeline ?? "";
    const deals = stages.reduce((n, s) => n + s.deals, 0);
    return {
      id: `pipeline-${id}`,
      title: `${name}: open deals by stage`,
      description: `${deals} open deal${deals === 1 ? "" : "s"} in ${stages.length} stages of the ${name} pipeline. Each bar is a stage's total amount in ${currency}; its darker part is the forecast, the amount weighted by the stage's probability.`,
      kind: "stacked-bar",
      unit: "money",
      currency,
      categories: stages.map((s) => s.stage),
      series: forecastSeries(
        stages.map((s) => s.amounts),
        currency,
      ),
      table: { columns: STAGE_COLUMNS, rows: stages.flatMap((s) => stageRows(s, [])) },
      note: otherCurrencies(all, currency),
    };
  });
}

function winRateCharts(f: WinRateFigures): ChartSpec[] {
  const closed = f.byOwner.reduce((n, o) => n + o.won + o.lost, 0);
  const won = f.byOwner.reduce((n, o) => n + o.won, 0);
  return [
    {
      id: "win-rate-by-owner",
      title: "Win rate by owner",
      description: `Of the ${closed} deals closed in the range, the share won, per owner.`,
      kind: "bar",
      unit: "percent",
      categories: f.byOwner.map((o) => o.owner),
      series: [{ name: "Win rate", values: f.byOwner.map((o) => percent(o.winRate)) }],
      table: {
        columns: [
          { label: "Owner" },
          { label: "Won", numeric: true },
          { label: "Lost", numeric: true },
          { label: "Win rate (%)", numeric: true },
        ],
        rows: f.byOwner.map((o) => [o.owner, o.won, o.lost, percent(o.winRate)]),
      },
    },
    {
      id: "cycle-by-owner",
      title: "Sales cycle by owner",
      description: `Mean days from creation to close of the ${won} deals won in the range, per owner.`,
      kind: "bar",
      unit: "days",
      categories: f.byOwner.map((o) => o.owner),
      series: [{ name: "Days to win", values: f.byOwner.map((o) => o.averageCycleDays) }],
      table: {
        columns: [
          { label: "Owner" },
          { label: "Won", numeric: true },
          { label: "Average days to win", numeric: true },
        ],
        rows: f.byOwner.map((o) => [o.owner, o.won, o.averageCycleDays]),
      },
    },
    {
      id: "win-rate-by-month",
      title: "Win rate by month",
      description: "The share of deals won among those closed each month.",
      kind: "line",
      unit: "percent",
      categories: f.byMonth.map((m) => monthLabel(m.month)),
      series: [{ name: "Win rate", values: f.byMonth.map((m) => percent(m.winRate)) }],
      table: {
        columns: [
          { label: "Month" },
          { label: "Won", numeric: true },
          { label: "Lost", numeric: true },
          { label: "Win rate (%)", numeric: true },
        ],
        rows: f.byMonth.map((m) => [m.month, m.won, m.lost, percent(m.winRate)]),
      },
    },
    {
      id: "cycle-by-month",
      title: "Sales cycle by month",
      description: "Mean days from creation to close of the deals won each month.",
      kind: "line",
      unit: "days",
      categories: f.byMonth.map((m) => monthLabel(m.month)),
      series: [{ name: "Days to win", values: f.byMonth.map((m) => m.averageCycleDays) }],
      table: {
        columns: [
          { label: "Month" },
          { label: "Won", numeric: true },
          { label: "Average days to win", numeric: true },
        ],
        rows: f.byMonth.map((m) => [m.month, m.won, m.averageCycleDays]),
      },
    },
  ];
}

function activityCharts(f: ActivityFigures): ChartSpec[] {
  const shown = f.owners.slice(0, MAX_STACKED);
  const others = f.owners.length > shown.length;
  const series: ChartSeries[] = shown.map((o) => ({
    name: o.owner,
    values: f.weeks.map((w) => w.owners.find((x) => x.ownerId === o.ownerId)?.total ?? 0),
  }));
  if (others) {
    const ids = new Set(shown.map((o) => o.ownerId));
    series.push({
      name: "Everyone else",
      values: f.weeks.map((w) =>
        w.owners.filter((x) => !ids.has(x.ownerId)).reduce((n, x) => n + x.total, 0),
      ),
    });
  }
  const names = new Map(f.owners.map((o) => [o.ownerId, o.owner]));
  const total = f.weeks.reduce((n, w) => n + w.owners.reduce((m, o) => m + o.total, 0), 0);
  return [
    {
      id: "per-week",
      title: "Activity per user per week",
      description: `${total} calls, meetings, emails, notes and completed tasks, per week (weeks start on Monday), stacked by the user who logged them.`,
      kind: "stacked-bar",
      unit: "count",
      categories: f.weeks.map((w) => weekLabel(w.week)),
      series,
      table: {
        columns: [
          { label: "Week of" },
          { label: "User" },
          { label: "Calls", numeric: true },
          { label: "Meetings", numeric: true },
          { label: "Emails", numeric: true },
          { label: "Notes", numeric: true },
          { label: "Tasks completed", numeric: true },
          { label: "Total", numeric: true },
        ],
        rows: f.weeks.flatMap((w) =>
          w.owners.map((o) => [
            w.week,
            names.get(o.ownerId) ?? "",
            o.call,
            o.meeting,
            o.email,
            o.note,
            o.task,
            o.total,
          ]),
        ),
      },
      note: others
        ? `The ${MAX_STACKED} most active users are drawn one by one; the table has everyone.`
        : undefined,
    },
  ];
}

function newContactsCharts(f: NewContactsFigures): ChartSpec[] {
  const categories = f.months.map((m) => monthLabel(m.month));
  const total = f.months.reduce((n, m) => n + m.total, 0);
  if (!f.sourceField) {
    return [
      {
        id: "per-month",
        title: "New contacts per month",
        description: `${total} contacts added in the range, per month.`,
        kind: "bar",
        unit: "count",
        categories,
        series: [{ name: "New contacts", values: f.months.map((m) => m.total) }],
        table: {
          columns: [{ label: "Month" }, { label: "New contacts", numeric: true }],
          rows: f.months.map((m) => [m.month, m.total]),
        },
        note: "Add a contact field keyed source (or lead_source), text or select, to see where they came from.",
      },
    ];
  }
  const label = (source: string | null) => source ?? "No source";
  const hasOther = f.months.some((m) => m.otherSources > 0);
  const series: ChartSeries[] = f.sources.map((source, i) => ({
    name: label(source),
    values: f.months.map((m) => m.bySource[i] ?? 0),
  }));
  if (hasOther) series.push({ name: "Other sources", values: f.months.map((m) => m.otherSources) });
  return [
    {
      id: "per-month",
      title: `New contacts per month by ${f.sourceField.label}`,
      description: `${total} contacts added in the range, per month, stacked by their ${f.sourceField.label}.`,
      kind: "stacked-bar",
      unit: "count",
      categories,
      series,
      table: {
        columns: [
          { label: "Month" },
          ...f.sources.map((s) => ({ label: label(s), numeric: true })),
          ...(hasOther ? [{ label: "Other sources", numeric: true }] : []),
          { label: "Total", numeric: true },
        ],
        rows: f.months.map((m) => [m.month, ...m.bySource, ...(hasOther ? [m.otherSources] : []), m.total]),
      },
    },
  ];
}

function closingCharts(f: ClosingFigures, workspaceCurrency: string): ChartSpec[] {
  const all = f.quarters.flatMap((q) => q.amounts);
  const currency = chartCurrency(all, workspaceCurrency);
  const deals = f.quarters.map((q) => `${q.deals} in ${quarterLabel(q.quarter)}`).join(", ");
  return [
    {
      id: "by-quarter",
      title: "Deals closing this quarter and next",
      description: `Open deals by expected close: ${deals}. Each bar is the quarter's total amount in ${currency}; its darker part is the forecast, weighted by each deal's stage probability.`,
      kind: "stacked-bar",
      unit: "money",
      currency,
      categories: f.quarters.map((q) => quarterLabel(q.quarter)),
      series: forecastSeries(
        f.quarters.map((q) => q.amounts),
        currency,
      ),
      table: {
        columns: [{ label: "Quarter" }, { label: "Pipeline" }, ...STAGE_COLUMNS],
        rows: f.quarters.flatMap((q) => q.stages.flatMap((s) => stageRows(s, [q.quarter, s.pipeline]))),
      },
      note: otherCurrencies(all, currency),
    },
  ];
}

/** A report's charts, each with its table, from its figures. */
export function reportCharts<N extends ReportName>(
  name: N,
  figures: ReportFigures[N],
  workspaceCurrency: string,
): ChartSpec[] {
  switch (name) {
    case "pipeline":
      return pipelineCharts(figures as PipelineFigures, workspaceCurrency);
    case "win-rate":
      return winRateCharts(figures as WinRateFigures);
    case "activity":
      return activityCharts(figures as ActivityFigures);
    case "new-contacts":
      return newContactsCharts(figures as NewContactsFigures);
    default:
      return closingCharts(figures as ClosingFigures, workspaceCurrency);
  }
}
