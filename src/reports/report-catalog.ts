import { REPORT_NAMES, type ReportName } from "./report-types.ts";

export interface ReportInfo {
  name: ReportName;
  title: string;
  /** What it shows and which filters apply, for the page and the API document. */
  summary: string;
  /** Whether the date range applies (the pipeline and deals closing are as of today). */
  usesRange: boolean;
}

/** The reports, in the order the page's tabs show them. */
export const REPORTS: Record<ReportName, ReportInfo> = {
  pipeline: {
    name: "pipeline",
    title: "Pipeline",
    summary:
      "The deals open now in each open stage of every pipeline: how many, their amount per currency and the forecast (the amount weighted by the stage's probability). As of now: the date range does not apply.",
    usesRange: false,
  },
  "win-rate": {
    name: "win-rate",
    title: "Win rate",
    summary:
      "Of the deals closed (won or lost) in the range, the share won and the mean days from creation to a win, by owner and by month of closing.",
    usesRange: true,
  },
  activity: {
    name: "activity",
    title: "Activity",
    summary:
      "Calls, meetings and emails logged, notes written and tasks completed in the range, per week (from Monday) and per user who did them, from the interaction log. Entries made by an API key or the system count as no user's.",
    usesRange: true,
  },
  "new-contacts": {
    name: "new-contacts",
    title: "New contacts",
    summary:
      "Contacts added in the range, per month, by source when the workspace has a contact field keyed source (or lead_source) of type text or select.",
    usesRange: true,
  },
  closing: {
    name: "closing",
    title: "Closing",
    summary:
      "Open deals whose expected close day falls in this quarter or the next (of today, in your time zone), with their amounts and forecast. The date range does not apply.",
    usesRange: false,
  },
};

/** The report named `name`, or undefined for anything else. */
export function reportNamed(name: string): ReportInfo | undefined {
  return (REPORT_NAMES as readonly string[]).includes(name) ? REPORTS[name as ReportName] : undefined;
}
