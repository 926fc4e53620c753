import { availableParallelism } from "node:os";
import { GroupMember } from "../app/group-member.ts";
import { createDeps, type RunningServer, startServer } from "../app/start-server.ts";
import { supervise } from "../app/supervisor.ts";
import { crmCommand } from "../core/app-files.ts";
import { type Config, loadConfig } from "../core/config.ts";
import { Logger } from "../core/logger.ts";
import { isDiskFull, isIoErrorOnFullDisk } from "../tenancy/shard-faults.ts";
import { type Command, DATA_HELP, intFlag } from "./command.ts";
import { DEMO, ensureDemoWorkspace } from "./demo-workspace.ts";

export const serve: Command = {
  name: "serve",
  summary: "run the web server",
  help: `Usage: crm serve [--port N] [--host H] [--data DIR] [--max-open-shards N] [--procs N] [--demo]

  --port N              port to listen on (default: $CRM_PORT or 3000; 0 picks a free one)
  --host H              address to bind (default: $CRM_HOST or 127.0.0.1; 0.0.0.0 for all)
  --max-open-shards N   most workspace files open at once, per process (default: $CRM_MAX_OPEN_SHARDS or 512)
  --procs N             server processes sharing the port, each with its own caches and worker
                        pool; a supervisor starts a process again when one dies
                        (default: $CRM_PROCS or one per core; 1: the server runs in this process)
  --demo                on first run, create and seed the "demo" workspace and print its sign-in
${DATA_HELP}

Other settings come from CRM_* environment variables (see README). SIGTERM or Ctrl-C stops
accepting connections, lets requests in flight finish for up to $CRM_SHUTDOWN_DRAIN_SECONDS
(default 10), closes the connections left and every workspace file cleanly, and exits (with
--procs, every process does so).`,
  options: {
    port: { type: "string" },
    host: { type: "string" },
    "max-open-shards": { type: "string" },
    procs: { type: "string" },
    demo: { type: "boolean" },
  },
  async run(values) {
    const config = loadConfig(process.env, {
      dataDir: values.data as string | undefined,
      host: values.host as string | undefined,
      port: values.port === undefined ? undefined : intFlag(values, "port"),
      maxOpenShards: values["max-open-shards"] === undefined ? undefined : intFlag(values, "max-open-shards"),
      procs: values.procs === undefined ? undefined : intFlag(values, "procs"),
    });
    if (config.procs < 1 || config.procs > 64) {
      console.error("crm serve: --procs must be from 1 to 64");
      return 2;
    }
    const groupIndex = GroupMember.indexFromEnvironment(process.env);
    // A group's processes log through one stream: each line says which process wrote it.
    const logger = new Logger(
      undefined,
      groupIndex === undefined ? {} : { group: groupIndex, pid: process.pid },
    );
    try {
      if (values.demo && groupIndex === undefined) await seedDemo(config, logger);
      if (groupIndex !== undefined) return await runGroupMember(config, logger, groupIndex);
      if (config.procs > 1) return await runGroup(config, logger, Boolean(values.demo));
      return await runAlone(config, logger, Boolean(values.demo));
    } catch (error) {
      // One line an operator can act on, not a stack trace.
      if (isDiskFull(error) || isIoErrorOnFullDisk(error, config.dataDir)) {
        console.error(
          `crm serve: the disk holding ${config.dataDir} is full; free some space and start again`,
        );
        return 1;
      }
      throw error;
    }
  },
};

async function seedDemo(config: Config, logger: Logger): Promise<void> {
  const setup = createDeps(config, logger);
  const created = await ensureDemoWorkspace(setup.catalog, setup.shards, setup.hasher);
  setup.shards.closeAll();
  setup.catalog.close();
  if (created) console.error(`created the demo workspace with ${DEMO.contacts} contacts`);
}

function banner(url: string, demo: boolean, procs: number): void {
  console.error(`\n  CRM is running at ${url}${procs > 1 ? ` (${procs} processes)` : ""}`);
  if (demo) {
    console.error(`  Demo workspace: ${url}/t/${DEMO.slug}/login`);
    console.error(`  Sign in as ${DEMO.email} with password ${DEMO.password}\n`);
  } else {
    console.error(`  Create a workspace at ${url}/signup\n`);
  }
}

/**
 * Binds the port once without SO_REUSEPORT and lets it go: a port another server or group holds
 * is refused in one line (processes with SO_REUSEPORT would join it silently and split its
 * connections with a stranger), and a port of 0 becomes the one every process of a group binds.
 */
function claimPort(config: Config): number | undefined {
  try {
    const probe = Bun.serve({ hostname: config.host, port: config.port, fetch: () => new Response(null) });
    const port = probe.port ?? config.port;
    probe.stop(true);
    return port;
  } catch (error) {
    console.error(
      `crm serve: cannot listen on ${config.host}:${config.port}: ${error instanceof Error ? error.message : error}`,
    );
    return undefined;
  }
}

/** Runs until SIGTERM or SIGINT calls `stop` (and `also`, e.g. the supervisor going away). */
function untilStopped(stop: () => Promise<void>, also: string[] = []): Promise<number> {
  let stopping = false;
  const shutdown = async () => {
    // A second signal (Ctrl-C twice, an impatient init) while stopping changes nothing: the
    // shutdown under way finishes and exits 0, rather than the default handler killing us.
    if (stopping) return;
    stopping = true;
    try {
      await stop();
    } finally {
      // Even if stopping failed part-way (a log line to a supervisor that is gone): never linger.
      process.exit(0);
    }
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
  for (const event of also) process.on(event, shutdown);
  return new Promise<number>(() => {});
}

async function runAlone(config: Config, logger: Logger, demo: boolean): Promise<number> {
  // A port already held is refused in one line, before any start-up work.
  if (config.port !== 0 && claimPort(config) === undefined) return 1;
  const server: RunningServer = startServer(config, logger);
  banner(server.url, demo, 1);
  return untilStopped(() => server.stop());
}

/** One process of a group: shares the port, reports to the supervisor, stops if the supervisor goes. */
async function runGroupMember(config: Config, logger: Logger, index: number): Promise<number> {
  const server = startServer(config, logger, {
    groupIndex: index,
    recoverImports: process.env.CRM_GROUP_RECOVER_IMPORTS === "true",
    scheduleNightly: index === 0,
    scheduleBackups: index === 0,
    deliverWebhooks: index === 0,
  });
  // The IPC channel closes when the supervisor dies: no process is left serving unsupervised.
  return untilStopped(() => server.stop(), ["disconnect"]);
}

/**
 * `--procs N`: a supervisor (supervisor.ts) and N processes on one port. A port of 0 is chosen
 * here, once, so that every process binds the same one. Unless the operator set CRM_WORKERS,
 * each process's worker pool gets its share of the cores left over by the server threads.
 */
async function runGroup(config: Config, logger: Logger, demo: boolean): Promise<number> {
  const port = claimPort(config);
  if (port === undefined) return 1;
  const cores = availableParallelism();
  const group = supervise({
    procs: config.procs,
    command: [...crmCommand(), "serve"],
    env: {
      ...process.env,
      CRM_DATA: config.dataDir,
      CRM_HOST: config.host,
      CRM_PORT: String(port),
      CRM_MAX_OPEN_SHARDS: String(config.maxOpenShards),
      CRM_WORKERS:
        process.env.CRM_WORKERS ?? String(Math.max(1, Math.floor((cores - config.procs) / config.procs))),
    },
    logger,
    drainSeconds: config.shutdownDrainSeconds,
    opsSampleSeconds: config.opsSampleSeconds,
  });
  // Signals are handled from now on, not only once every process listens: a SIGTERM while the
  // group starts stops it gracefully too.
  const running = untilStopped(() => group.stop());
  const failed = await Promise.race([group.ready().then(() => undefined), group.failed]);
  if (failed !== undefined) {
    await group.stop();
    return failed;
  }
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
  logger.info("group listening", { url, procs: config.procs, pids: group.pids() });
  logger.flush();
  banner(url, demo, config.procs);
  return running;
}
