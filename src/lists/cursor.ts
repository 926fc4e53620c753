import { pack, unpack } from "msgpackr";
import { BadRequestError } from "../core/errors.ts";

export type Order = "asc" | "desc";
export type KeyValue = string | number;

/**
 * Where a page of a keyset-paginated list starts: just after (or just before) the row whose
 * sort key is `key` (the sort columns' values, then the id). Opaque to clients: msgpack, then
 * base64url, a third smaller than the same thing in JSON.
 */
export interface Cursor {
  sort: string;
  order: Order;
  direction: "after" | "before";
  key: KeyValue[];
}

const MAX_CURSOR_LENGTH = 1024;

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(
    pack([cursor.sort, cursor.order === "asc" ? 0 : 1, cursor.direction === "after" ? 0 : 1, cursor.key]),
  ).toString("base64url");
}

function invalid(): BadRequestError {
  return new BadRequestError("cursor is not valid for this list; start again from the first page", "cursor");
}

/** Decodes a cursor from a client, checking every part of its shape: it is untrusted input. */
export function decodeCursor(text: string): Cursor {
  if (text.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(text)) throw invalid();
  let decoded: unknown;
  try {
    decoded = unpack(Buffer.from(text, "base64url"));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(decoded) || decoded.length !== 4) throw invalid();
  const [sort, order, direction, key] = decoded as unknown[];
  if (typeof sort !== "string" || (order !== 0 && order !== 1) || (direction !== 0 && direction !== 1))
    throw invalid();
  if (!Array.isArray(key) || key.length < 2 || key.length > 4) throw invalid();
  if (!key.every((v) => typeof v === "string" || (typeof v === "number" && Number.isFinite(v))))
    throw invalid();
  if (!Number.isInteger(key.at(-1))) throw invalid();
  return { sort, order: order === 0 ? "asc" : "desc", direction: direction === 0 ? "after" : "before", key };
}
