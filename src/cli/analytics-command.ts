import { analyticsApply } from "./analytics-apply.ts";
import { analyticsExport } from "./analytics-export.ts";
import { analyticsQuery } from "./analytics-query.ts";
import { analyticsRun } from "./analytics-run.ts";
import { analyticsStatus } from "./analytics-status.ts";
import type { Command } from "./command.ts";

/**
 * `crm analytics <subcommand>`: one line per subcommand, each in its own file
 * (src/cli/analytics-<subcommand>.ts). src/cli.ts lists them all with the other commands.
 */
export const ANALYTICS_SUBCOMMANDS: Command[] = [
  analyticsExport,
  analyticsRun,
  analyticsStatus,
  analyticsQuery,
  analyticsApply,
];

/** `crm analytics` alone (or with --help): the subcommands. */
export const analyticsCommand: Command = {
  name: "analytics",
  summary: "the analytics warehouse and its jobs (crm analytics --help lists the subcommands)",
  get help() {
    const width = Math.max(...ANALYTICS_SUBCOMMANDS.map((c) => c.name.length));
    return `Usage: crm analytics <subcommand> [options]

Subcommands:
${ANALYTICS_SUBCOMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}

Run "crm analytics <subcommand> --help" for its options.`;
  },
  options: {},
  run() {
    console.log(analyticsCommand.help);
    return 2;
  },
};

export const ANALYTICS_COMMANDS: Command[] = [analyticsCommand, ...ANALYTICS_SUBCOMMANDS];
