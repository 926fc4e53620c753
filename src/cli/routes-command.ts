import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../app/create-app.ts";
import { createDeps } from "../app/start-server.ts";
import { loadConfig } from "../core/config.ts";
import { Logger } from "../core/logger.ts";
import type { Command } from "./command.ts";
import { formatRouteTable, routeTable } from "./route-table.ts";

export const routes: Command = {
  name: "routes",
  summary: "print every route with its guard, read from the app itself",
  help: `Usage: crm routes

Prints each route the server answers (method, path) in the order the app registers them, with
its guard: "public"; "session" (a signed-in user); "api key"; "+ member" on writes that need
the member role; "+ member", "+ admin" or "+ owner" where the route demands that role before
anything runs (its service checks it again). A rule that depends on the record, such as
deleting someone else's shared view, is the service's alone and not shown. The app is built
over a throw-away data directory, so no workspace is read (--data is ignored).`,
  options: {},
  run() {
    const dir = mkdtempSync(join(tmpdir(), "crm-routes-"));
    const deps = createDeps(loadConfig({}, { dataDir: dir }), new Logger());
    try {
      console.log(formatRouteTable(routeTable(createApp(deps))));
      return 0;
    } finally {
      deps.shards.closeAll();
      deps.catalog.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
