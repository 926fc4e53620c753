import { BadRequestError, ValidationError } from "./errors.ts";
import { SURROGATE_MESSAGE } from "./validation.ts";

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

/**
 * A JSON object body's text parsed: 400 if it does not parse or is not an object, 422 naming
 * where a lone surrogate is. The text was decoded from UTF-8, so only a `\udXXX` escape can
 * make one, which SQLite would store as U+FFFD. Used by the server's thread and by workers
 * that get a body as text (batches).
 */
export function parseJsonObject(text: string): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new BadRequestError("the body is not valid JSON", "body");
  }
  if (SURROGATE_ESCAPE.test(text)) {
    const where = illFormedAt(body);
    if (where !== undefined) throw new ValidationError([{ field: where, message: SURROGATE_MESSAGE }]);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new BadRequestError("the body must be a JSON object", "body");
  }
  return body as Record<string, unknown>;
}
