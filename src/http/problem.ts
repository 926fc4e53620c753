import type { FieldIssue } from "../core/errors.ts";
import { problemTypeOf } from "../core/problem-types.ts";

export interface Problem {
  status: number;
  title: string;
  detail: string;
  /** Each invalid field by name (RFC 9457 allows extension members). */
  errors?: FieldIssue[];
  /** More members (RFC 9457 extensions), e.g. a batch's per-item `results`. */
  extensions?: Record<string, unknown>;
}

/**
 * An RFC 9457 problem+json response: what every API error looks like. `type` names the kind of
 * problem by its status (src/core/problem-types.ts), e.g. `/api/v1/problems/validation`.
 */
export function problemResponse(problem: Problem, headers: Record<string, string> = {}): Response {
  const body = {
    type: problemTypeOf(problem.status),
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    ...(problem.errors ? { errors: problem.errors } : {}),
    ...problem.extensions,
  };
  return new Response(JSON.stringify(body), {
    status: problem.status,
    headers: { "Content-Type": "application/problem+json", ...headers },
  });
}
