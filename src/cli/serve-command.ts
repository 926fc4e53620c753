import { createDeps, type RunningServer, startServer } from "../app/start-server.ts";
import { loadConfig } from "../core/config.ts";
import { Logger } from "../core/logger.ts";
import { isDiskFull, isIoErrorOnFullDisk } from "../tenancy/shard-faults.ts";
import { type Command, DATA_HELP, intFlag } from "./command.ts";
import { DEMO, ensureDemoWorkspace } from "./demo-workspace.ts";

export const serve: Command = {
  name: "serve",
  summary: "run the web server",
  help: `Usage: crm serve [--port N] [--host H] [--data DIR] [--max-open-shards N] [--demo]

  --port N              port to listen on (default: $CRM_PORT or 3000; 0 picks a free one)
  --host H              address to bind (default: $CRM_HOST or 127.0.0.1; 0.0.0.0 for all)
  --max-open-shards N   most workspace files open at once (default: $CRM_MAX_OPEN_SHARDS or 512)
  --demo                on first run, create and seed the "demo" workspace and print its sign-in
${DATA_HELP}

Other settings come from CRM_* environment variables (see README). SIGTERM or Ctrl-C stops
accepting connections, lets requests in flight finish for up to $CRM_SHUTDOWN_DRAIN_SECONDS
(default 10), closes the connections left and every workspace file cleanly, and exits.`,
  options: {
    port: { type: "string" },
    host: { type: "string" },
    "max-open-shards": { type: "string" },
    demo: { type: "boolean" },
  },
  async run(values) {
    const config = loadConfig(process.env, {
      dataDir: values.data as string | undefined,
      host: values.host as string | undefined,
      port: values.port === undefined ? undefined : intFlag(values, "port"),
      maxOpenShards: values["max-open-shards"] === undefined ? undefined : intFlag(values, "max-open-shards"),
    });
    const logger = new Logger();
    let server: RunningServer;
    try {
      if (values.demo) {
        const setup = createDeps(config, logger);
        const created = await ensureDemoWorkspace(setup.catalog, setup.shards, setup.hasher);
        setup.shards.closeAll();
        setup.catalog.close();
        if (created) console.error(`created the demo workspace with ${DEMO.contacts} contacts`);
      }
      server = startServer(config, logger);
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
    console.error(`\n  CRM is running at ${server.url}`);
    if (values.demo) {
      console.error(`  Demo workspace: ${server.url}/t/${DEMO.slug}/login`);
      console.error(`  Sign in as ${DEMO.email} with password ${DEMO.password}\n`);
    } else {
      console.error(`  Create a workspace at ${server.url}/signup\n`);
    }
    const shutdown = async () => {
      await server.stop();
      process.exit(0);
    };
    process.once("SIGTERM", shutdown);
    process.once("SIGINT", shutdown);
    // Keep running until a signal arrives.
    return new Promise<number>(() => {});
  },
};
