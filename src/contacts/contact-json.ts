import { recordsJson } from "../records/record-json.ts";
import type { Shard } from "../tenancy/shard.ts";
import { CONTACT_KIND } from "./contact-kind.ts";
import type { ContactRecord } from "./contact-record.ts";

/**
 * One contact as the API answers it alone (a merge's survivor; get, create and update answer the
 * same through the kind): its fields and custom values as in lists, and its `engagement`.
 */
export function oneContactJson(shard: Shard, contact: ContactRecord): object {
  const [json] = recordsJson(shard, CONTACT_KIND, [contact]);
  return { ...json, ...CONTACT_KIND.api.alone?.(shard, contact) };
}
