/**
 * What the report tasks are given and what they hand back: figures only (counts, sums,
 * rates), never rows. The JSON API answers with these shapes as they are.
 */

/** Every report, in the order the reports page lists them. */
export const REPORT_NAMES = ["pipeline", "win-rate", "activity", "new-contacts", "closing"] as const;
export type ReportName = (typeof REPORT_NAMES)[number];

/** What every report filters on. `ownerId` null: everyone's. */
export interface OwnerParams {
  ownerId: number | null;
}

/** Reports over time: local days `YYYY-MM-DD` (both included) in an IANA zone. */
export interface RangeParams extends OwnerParams {
  from: string;
  to: string;
  zone: string;
}

/** Deals closing this and next quarter: the viewer's today decides which quarters. */
export interface ClosingParams extends OwnerParams {
  today: string;
}

/** Deals in one currency: how many, their sum in its minor unit, and the sum weighted by stage probability. */
export interface Amount {
  currency: string;
  deals: number;
  amountCents: number;
  weightedCents: number;
}

export interface StageFigures {
  pipelineId: number;
  pipeline: string;
  stageId: number;
  stage: string;
  /** 0–100. */
  probability: number;
  deals: number;
  /** Per currency, most deals first. */
  amounts: Amount[];
}

/** Pipeline by stage: the deals open now in each open stage of each pipeline. */
export interface PipelineFigures {
  stages: StageFigures[];
}

/** A user by id and name; id null stands for no one (no owner, or not logged by a user). */
export interface OwnerRef {
  ownerId: number | null;
  owner: string;
}

export interface WinRateRow {
  won: number;
  lost: number;
  /** won / (won + lost), 0–1; null when none closed. */
  winRate: number | null;
  /** Mean days from creation to close of the won deals; null when none was won. */
  averageCycleDays: number | null;
}

/** Win rate and sales cycle of the deals closed in the range, by owner and by month of closing. */
export interface WinRateFigures {
  byOwner: (OwnerRef & WinRateRow)[];
  byMonth: ({ month: string } & WinRateRow)[];
}

/** The kinds of interaction counted as activity. */
export const ACTIVITY_COUNTS = ["call", "meeting", "email", "note", "task"] as const;
export type ActivityCount = (typeof ACTIVITY_COUNTS)[number];

export type ActivityCounts = Record<ActivityCount | "total", number>;

/** Calls, meetings, emails, notes and completed tasks per user per week. */
export interface ActivityFigures {
  /** Everyone with activity in the range, most active first. */
  owners: OwnerRef[];
  weeks: { week: string; owners: ({ ownerId: number | null } & ActivityCounts)[] }[];
}

/** New contacts per month, split by the workspace's source field when it has one. */
export interface NewContactsFigures {
  sourceField: { key: string; label: string } | null;
  /** The most common sources in the range (null: no source given), most contacts first. */
  sources: (string | null)[];
  months: { month: string; total: number; bySource: number[]; otherSources: number }[];
}

/** Open deals expected to close this quarter and next. */
export interface ClosingFigures {
  quarters: {
    quarter: string;
    from: string;
    to: string;
    deals: number;
    amounts: Amount[];
    stages: StageFigures[];
  }[];
}

export interface ReportFigures {
  pipeline: PipelineFigures;
  "win-rate": WinRateFigures;
  activity: ActivityFigures;
  "new-contacts": NewContactsFigures;
  closing: ClosingFigures;
}

export interface ReportParams {
  pipeline: OwnerParams;
  "win-rate": RangeParams;
  activity: RangeParams;
  "new-contacts": RangeParams;
  closing: ClosingParams;
}
