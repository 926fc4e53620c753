import { createApp } from "../../src/app/create-app.ts";
import { createDeps } from "../../src/app/start-server.ts";
import { loadConfig } from "../../src/core/config.ts";
import { Logger } from "../../src/core/logger.ts";
import type { AppDeps } from "../../src/http/app-env.ts";
import { FAST_HASHING } from "./server.ts";

/** A clock that stands still until the test moves it. */
export class TestClock {
  constructor(private ms: number) {}

  readonly now = (): number => this.ms;

  set(ms: number): void {
    this.ms = ms;
  }

  advance(ms: number): void {
    this.ms += ms;
  }
}

export interface ClockedServer {
  url: string;
  deps: AppDeps;
  stop(): Promise<void>;
}

/**
 * The real application (createDeps + createApp over the real files in `dataDir`) served from
 * this process on a free port, reading `clock` wherever the server decides by time. Nothing is
 * written to move time, so the server's caches stay as warm as they would over real hours.
 */
export function startClockedServer(dataDir: string, clock: TestClock): ClockedServer {
  const config = loadConfig({ ...FAST_HASHING, CRM_DATA: dataDir, CRM_ACCESS_LOG: "false" });
  const deps = createDeps(config, new Logger({ write() {}, flush() {} }), () => false, clock.now);
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: createApp(deps).fetch });
  return {
    url: `http://127.0.0.1:${server.port}`,
    deps,
    async stop() {
      await server.stop(true);
      deps.shards.closeAll();
      deps.catalog.close();
    },
  };
}
