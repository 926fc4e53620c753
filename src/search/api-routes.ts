import { Hono } from "hono";
import { z } from "zod";
import type { ViewerEnv } from "../http/app-env.ts";
import { parseListParams, queryInteger } from "../lists/list-params.ts";
import { type SnippetPart, searchAll } from "./search-all.ts";

const searchParams = z.object({
  q: z.string().max(200, "must be at most 200 characters"),
  limit: queryInteger(
    z.number("must be a whole number").int("must be a whole number").min(1).max(50).default(10),
  ),
});

const bracketed = (parts: SnippetPart[]) =>
  parts.map((part) => (part.match ? `[${part.text}]` : part.text)).join("");

/** /api/v1/t/:tenant/search?q=: ranked matches per kind; note snippets mark matches with [ and ]. */
export function searchApiRoutes() {
  const app = new Hono<ViewerEnv>();
  app.get("/", (c) => {
    const p = parseListParams(searchParams, c.req.query(), "api");
    const results = searchAll(c.var.shard, p.q, p.limit);
    // Copies: the results are shared with later searches (cached per shard version).
    const note = results.note.map(({ snippet, ...hit }) => ({ ...hit, title: bracketed(snippet ?? []) }));
    return c.json({ ...results, note });
  });
  return app;
}
