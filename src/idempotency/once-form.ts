import type { FormWrite } from "../http/form-write.ts";
import type { Shard } from "../tenancy/shard.ts";
import { requestHash } from "./idempotency-key.ts";
import { idempotentWrite } from "./idempotent-write.ts";

/**
 * The hidden field a page's create form carries: a one-time token, so a form posted twice
 * (a double click without JavaScript, a resend after a slow answer) is written once. It is
 * the page-form counterpart of the API's Idempotency-Key and is stored the same way (the
 * idempotency_keys table, a day), in the same transaction as the record it created.
 */
export const ONCE_FIELD = "_once";

const TOKEN = /^[0-9a-f-]{36}$/;

/** A new one-time token for a create form. */
export function onceToken(): string {
  return crypto.randomUUID();
}

/** Rolls the transaction back when the form was refused: a refusal stores nothing, not even the token. */
class Refused<T> {
  constructor(readonly result: FormWrite<T>) {}
}

/**
 * Runs a page form's create (`write`) once per token and body: a post whose ONCE_FIELD token
 * the signed-in person already posted with the same fields within a day gets `replayed` (the
 * first answer's address to go to) and writes nothing; a refused post stores nothing, so it can
 * be corrected and sent again with the same token (as the page shown again carries it). The
 * fields are part of the key: after Back, a changed form with the old token is a new request.
 * Without a token (an older page, a test posting by hand) `write` simply runs.
 */
export function writeOnce<T>(
  shard: Shard,
  who: { userId: number; route: string; now: number },
  fields: Record<string, string>,
  write: () => FormWrite<T>,
  location: (value: T) => string,
): { replayed: string } | { result: FormWrite<T> } {
  const token = fields[ONCE_FIELD] ?? "";
  if (!TOKEN.test(token)) return { result: write() };
  const entries = Object.entries(fields)
    .filter(([name]) => name !== "_csrf" && name !== ONCE_FIELD)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const hash = requestHash(new TextEncoder().encode(JSON.stringify(entries)));
  const request = { scope: `page:user:${who.userId}`, key: `${token}:${hash}`, route: who.route, hash };
  let written: FormWrite<T> | undefined;
  try {
    const outcome = idempotentWrite(shard, request, who.now, () => {
      const result = write();
      if (!result.ok) throw new Refused(result);
      written = result;
      return { status: 303, body: location(result.value) };
    });
    if (outcome.replayed || !written) return { replayed: outcome.body };
    return { result: written };
  } catch (error) {
    if (error instanceof Refused) return { result: error.result as FormWrite<T> };
    throw error;
  }
}
