import type { Context } from "hono";
import { AppError } from "../core/errors.ts";
import { parseJsonObject } from "../core/json-object.ts";

/** A request's body as text, refused with a 415 unless it is JSON (for a handler that parses it elsewhere: a worker). */
export async function readJsonText(c: Context): Promise<string> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
    throw new AppError(415, "Unsupported Media Type", "send the body as application/json");
  }
  return c.req.text();
}

/** Reads a request's JSON object body: 415 if it is not JSON, 400 if it does not parse or is not an object. */
export async function readJsonObject(c: Context): Promise<Record<string, unknown>> {
  return parseJsonObject(await readJsonText(c));
}
