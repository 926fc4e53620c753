import { BadRequestError } from "./errors.ts";

/** A JSON object body's text parsed: 400 if it does not parse or is not an object. */
export function parseJsonObject(text: string): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new BadRequestError("the body is not valid JSON", "body");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new BadRequestError("the body must be a JSON object", "body");
  }
  return body as Record<string, unknown>;
}
