import type { Context } from "hono";
import { AppError, BadRequestError, ValidationError } from "../core/errors.ts";
import { SURROGATE_MESSAGE } from "../core/validation.ts";

/** A surrogate's escape in JSON text (`\ud800`–`\udfff`, either case). */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/**
 * The dotted path of the first string (or key: then the object holding it) in `value` that is
 * not well-formed UTF-16, `body` for the top; undefined when all are. Walked with a stack, not
 * recursion: JSON nests deeper than the call stack goes.
 */
function illFormedAt(value: unknown): string | undefined {
  const stack: [unknown, string][] = [[value, ""]];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [item, path] = next;
    if (typeof item === "string") {
      if (!item.isWellFormed()) return path || "body";
    } else if (typeof item === "object" && item !== null) {
      for (const [key, inner] of Object.entries(item)) {
        if (!key.isWellFormed()) return path || "body";
        stack.push([inner, path ? `${path}.${key}` : key]);
      }
    }
  }
  return undefined;
}

/** Reads a request's JSON object body: 415 if it is not JSON, 400 if it does not parse or is not an object. */
export async function readJsonObject(c: Context): Promise<Record<string, unknown>> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
    throw new AppError(415, "Unsupported Media Type", "send the body as application/json");
  }
  let body: unknown;
  const text = await c.req.text();
  try {
    body = JSON.parse(text);
  } catch {
    throw new BadRequestError("the body is not valid JSON", "body");
  }
  // The text was decoded from UTF-8, so only a `\udXXX` escape can make a lone surrogate, which
  // SQLite would store as U+FFFD: a 422 naming where it is, whatever the field.
  if (SURROGATE_ESCAPE.test(text)) {
    const where = illFormedAt(body);
    if (where !== undefined) throw new ValidationError([{ field: where, message: SURROGATE_MESSAGE }]);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new BadRequestError("the body must be a JSON object", "body");
  }
  return body as Record<string, unknown>;
}
