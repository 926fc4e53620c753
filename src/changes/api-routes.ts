import { Hono } from "hono";
import { z } from "zod";
import { BadRequestError } from "../core/errors.ts";
import type { ViewerEnv } from "../http/app-env.ts";
import { parseListParams } from "../lists/list-params.ts";
import { logHighWater, MAX_CHANGES_LIMIT, readChanges } from "./read-changes.ts";

/** A log id: digits only (no sign, exponent, hex or spaces), small enough to be exact. */
export const changesCursor = z
  .string()
  .regex(/^\d{1,16}$/, "must be a cursor from nextCursor (a whole number of up to 16 digits)")
  .transform(Number)
  .refine(Number.isSafeInteger, "is too large");

const changesParams = z.object({
  after: changesCursor.default(0),
  limit: z
    .string()
    .regex(/^\d{1,4}$/, `must be a whole number from 1 to ${MAX_CHANGES_LIMIT}`)
    .transform(Number)
    .refine((n) => n >= 1 && n <= MAX_CHANGES_LIMIT, `must be from 1 to ${MAX_CHANGES_LIMIT}`)
    .default(100),
});

/**
 * /api/v1/t/:tenant/changes: the changes feed, oldest first from `after` (a previous
 * nextCursor; from the start without it). nextCursor is always a string, also on the last
 * page, so a client keeps polling with it.
 */
export function changesApiRoutes() {
  const app = new Hono<ViewerEnv>();
  app.get("/", (c) => {
    // A cursor given twice is refused by the API's one rule for parameters (api-route-rules.ts).
    const params = parseListParams(changesParams, c.req.query(), "api");
    // A cursor this log never reached (another workspace's, or kept from before a backup was
    // restored) would be echoed back while every entry up to it went by unseen.
    if (params.after > logHighWater(c.var.shard))
      throw new BadRequestError(
        "after: is past the end of this workspace's log; use a nextCursor or entry id its feed answered (0 to start over)",
        "after",
      );
    return c.json(readChanges(c.var.shard, params.after, params.limit));
  });
  return app;
}
