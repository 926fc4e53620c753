import type { Context } from "hono";
import { AppError, BadRequestError } from "../core/errors.ts";

/** Reads a request's JSON object body: 415 if it is not JSON, 400 if it does not parse or is not an object. */
export async function readJsonObject(c: Context): Promise<Record<string, unknown>> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
    throw new AppError(415, "Unsupported Media Type", "send the body as application/json");
  }
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch {
    throw new BadRequestError("the body is not valid JSON", "body");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new BadRequestError("the body must be a JSON object", "body");
  }
  return body as Record<string, unknown>;
}
