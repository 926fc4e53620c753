import { DEAL_VIEW } from "../../views/deals/deal-view.ts";
import type { AppDeps } from "../http/app-env.ts";
import { recordRoutes } from "../records/record-routes.ts";
import { boardRoutes } from "./board-routes.ts";
import { DEAL_KIND } from "./deal-kind.ts";
import { dealPageHtml } from "./deal-page.ts";
import { dealPeopleRoutes } from "./people-routes.ts";

/**
 * Deals: the pages every kind has (list, new, edit, delete), the board and stage moves, the
 * people on a deal, and a deal's own page.
 */
export function dealRoutes(deps: AppDeps) {
  const app = recordRoutes(deps, DEAL_KIND, DEAL_VIEW);
  app.route("/", boardRoutes(deps));
  app.route("/", dealPeopleRoutes());
  app.get("/:id", (c) => c.html(dealPageHtml(c, deps)));
  return app;
}
