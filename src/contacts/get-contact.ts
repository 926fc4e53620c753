import { getRecord } from "../records/record-table.ts";
import type { Shard } from "../tenancy/shard.ts";
import { CONTACT_TABLE, type ContactRecord } from "./contact-record.ts";

/** The contact with `id` in this workspace, or a 404. Ids from other workspaces simply do not exist here. */
export function getContact(shard: Shard, id: number): ContactRecord {
  return getRecord(shard, CONTACT_TABLE, id);
}
