import { Hono } from "hono";
import { NotFoundError } from "../core/errors.ts";
import { PROBLEM_KINDS, type ProblemKind, problemTypeUri } from "../core/problem-types.ts";
import type { AppEnv } from "../http/app-env.ts";

/** A kind of problem as its page answers it: its `type` URI first, then what it means. */
const described = (k: ProblemKind) => ({
  type: problemTypeUri(k.kind),
  kind: k.kind,
  status: k.status,
  title: k.title,
  description: k.description,
});

const CACHE = { "Cache-Control": "public, max-age=3600" };

/**
 * /api/v1/problems: where each problem+json `type` leads (`/api/v1/problems/validation`), a
 * short description of that kind of problem, and the list of them all. Public, like the
 * OpenAPI document: they say nothing about any workspace.
 */
export function problemTypeRoutes() {
  const app = new Hono<AppEnv>();
  app.get("/", (c) => c.json({ data: PROBLEM_KINDS.map(described) }, 200, CACHE));
  app.get("/:kind", (c) => {
    const kind = PROBLEM_KINDS.find((k) => k.kind === c.req.param("kind"));
    if (!kind) throw new NotFoundError("problem type");
    return c.json(described(kind), 200, CACHE);
  });
  return app;
}
