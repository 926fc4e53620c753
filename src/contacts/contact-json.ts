import { recordsJson } from "../records/record-json.ts";
import type { Shard } from "../tenancy/shard.ts";
import { contactEngagement, engagementJson } from "./contact-engagement.ts";
import { CONTACT_KIND } from "./contact-kind.ts";
import type { ContactRecord } from "./contact-record.ts";

/**
 * One contact as the API answers it alone (GET by id, a merge's survivor): its fields and
 * custom values as in lists, and its `engagement` (a few rows of contact_engagement's primary key).
 */
export function oneContactJson(shard: Shard, contact: ContactRecord): object {
  const [json] = recordsJson(shard, CONTACT_KIND, [contact]);
  return { ...json, engagement: engagementJson(contactEngagement(shard, contact.id)) };
}
