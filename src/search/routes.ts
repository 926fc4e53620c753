import { Hono } from "hono";
import { searchDropdown } from "../../views/search/search-dropdown.ts";
import { searchPage } from "../../views/search/search-results.ts";
import { requireSignedIn } from "../auth/session-middleware.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { pageContext } from "../http/page-context.ts";
import { searchAll } from "./search-all.ts";

/** /search: the dropdown under the search box (fragment=dropdown) and the full results page. */
export function searchRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  app.use(requireSignedIn);
  app.get("/", (c) => {
    const query = (c.req.query("q") ?? "").slice(0, 200);
    const base = `/t/${c.var.tenant.slug}`;
    if (c.req.query("fragment") === "dropdown") {
      return c.html(searchDropdown(base, searchAll(c.var.shard, query, 5), query).value);
    }
    return c.html(searchPage(pageContext(c, deps), base, searchAll(c.var.shard, query, 20), query).value);
  });
  return app;
}
