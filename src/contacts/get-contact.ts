import { NotFoundError } from "../core/errors.ts";
import type { Shard } from "../tenancy/shard.ts";
import {
  CONTACT_COLUMNS,
  CONTACT_JOINS,
  type ContactRecord,
  type ContactRow,
  toContactRecord,
} from "./contact-record.ts";

/** The contact with `id` in this workspace, or a 404. Ids from other workspaces simply do not exist here. */
export function getContact(shard: Shard, id: number): ContactRecord {
  const row = shard
    .statement(`SELECT ${CONTACT_COLUMNS} FROM contacts c ${CONTACT_JOINS} WHERE c.id = ?`)
    .get(id) as ContactRow | null;
  if (!row) throw new NotFoundError("contact");
  return toContactRecord(row);
}
