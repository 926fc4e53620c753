import { loadtestReport } from "../../views/loadtest/loadtest-report.ts";
import type { LoadtestSummary } from "./loadtest-summary.ts";

/**
 * The HTML report's file content. The command line may not render views itself (only web
 * files do, .dependency-cruiser.cjs): this is the page file between the summary and its view.
 */
export function reportPage(summary: LoadtestSummary): string {
  return loadtestReport(summary).toString();
}
