import { MoveError } from "../cluster/move-hosts.ts";
import { MOVE_STEPS, type MoveStep } from "../cluster/move-journal.ts";
import { type MoveReport, moveTenant } from "../cluster/move-tenant.ts";
import { rollbackMove } from "../cluster/rollback-move.ts";
import { loadConfig } from "../core/config.ts";
import { isValidSlug } from "../tenancy/slug.ts";
import { type Command, DATA_HELP, UsageError } from "./command.ts";

export const clusterMove: Command = {
  name: "cluster move",
  summary: "move a workspace to another host (resumable; --rollback undoes)",
  help: `Usage: crm cluster move <slug> --to HOST [--nginx-reload CMD] [--until STEP] [--data DIR]
       crm cluster move <slug> --rollback [--data DIR]

Moves the workspace to HOST (a host name in the placement file, $CRM_CLUSTER_FILE or
<data>/cluster.json) while it keeps serving: HOST copies its file from the current owner, the
owner freezes its writes (they get 503 + Retry-After; reads go on), HOST fetches the pages that
changed and checks the copy, placement is flipped to HOST, HOST takes writes again, the old
copy is set aside under the owner's data/retired/. The write freeze lasts about a second.

Every step is recorded in <data>/moves/<slug>.json on this machine. If the command stops
(Ctrl-C, a kill, a host down), run it again to resume where it stopped, or with --rollback.
A move stopped after the freeze leaves the workspace's writes refused until one of them runs.

  <slug>             the workspace
  --to HOST          the destination host's name
  --nginx-reload CMD a shell command run after the flip (e.g. "sudo systemctl reload nginx");
                     until nginx reloads, the old host re-sends the workspace's requests
  --until STEP       stop after STEP (${MOVE_STEPS.join(", ")}); e.g. --until copy
                     copies ahead of a quiet hour, and the same command later goes on
  --rollback         undo the move in progress: before the flip, the owner takes writes
                     again and HOST drops its copy; after it, the workspace is moved back
${DATA_HELP}

Exit status: 0 moved (or rolled back), 1 a host failed or refused, 2 bad input.`,
  options: {
    to: { type: "string" },
    "nginx-reload": { type: "string" },
    until: { type: "string" },
    rollback: { type: "boolean" },
  },
  positionals: 1,
  async run(values, [slug]) {
    if (!slug || !isValidSlug(slug)) throw new UsageError(`"${slug}" is not a workspace slug`);
    const config = loadConfig(process.env, { dataDir: values.data as string | undefined });
    const until = values.until as string | undefined;
    if (until !== undefined && !MOVE_STEPS.includes(until as MoveStep))
      throw new UsageError(`--until must be one of ${MOVE_STEPS.join(", ")}`);
    if (values.rollback && (values.to || until)) throw new UsageError("--rollback takes no --to or --until");
    if (!values.rollback && typeof values.to !== "string") throw new UsageError("--to is required");
    const common = {
      dataDir: config.dataDir,
      clusterFile: config.clusterFile as string,
      slug,
      nginxReload: values["nginx-reload"] as string | undefined,
      say: (line: string) => console.log(line),
    };
    try {
      const report = values.rollback
        ? await rollbackMove(common)
        : await moveTenant({ ...common, to: values.to as string, until: until as MoveStep | undefined });
      console.log(summary(report));
      return 0;
    } catch (error) {
      if (!(error instanceof MoveError)) throw error;
      console.error(`crm cluster move: ${error.message}`);
      return error.exitCode;
    }
  },
};

function summary(report: MoveReport): string {
  if (!report.finished) return `${report.slug}: move to ${report.to} paused`;
  // A resumed move's freeze may have begun in an earlier run: say which time is which, so the
  // total never reads as shorter than the freeze it contains.
  const took = report.resumed
    ? `${(report.totalMs / 1000).toFixed(2)} s in this run, ${(report.sinceStartMs / 1000).toFixed(2)} s since the move began`
    : `${(report.totalMs / 1000).toFixed(2)} s`;
  const parts = [`${report.slug} is on ${report.to}`, took];
  if (report.frozenMs !== undefined) parts.push(`writes frozen ${(report.frozenMs / 1000).toFixed(2)} s`);
  if (report.copyBytes !== undefined)
    parts.push(
      `copied ${(report.copyBytes / 1_048_576).toFixed(1)} MB + ${((report.catchUpBytes ?? 0) / 1_048_576).toFixed(1)} MB caught up`,
    );
  return parts.join("; ");
}
