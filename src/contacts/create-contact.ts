import { ValidationError } from "../core/errors.ts";
import { applyCustomValues } from "../custom-fields/apply-custom-values.ts";
import type { WithCustomFields } from "../custom-fields/field-values.ts";
import type { Actor } from "../identity/viewer.ts";
import { setTags } from "../tags/set-tags.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { ContactCreate } from "./contact-input.ts";
import type { ContactRecord } from "./contact-record.ts";
import { contactInsertSql, contactIssues, contactRow, logContactCreated } from "./contact-row.ts";
import { getContact } from "./get-contact.ts";

/** Creates a contact with its tags and logs `contact.created`, all in one transaction (createContacts: many at once). */
export function createContact(
  shard: Shard,
  actor: Actor,
  input: WithCustomFields<ContactCreate>,
  now = Date.now(),
): ContactRecord {
  const id = shard.transaction(() => {
    const issues = contactIssues(shard, input);
    if (issues.length) throw new ValidationError(issues);
    const id = Number(shard.statement(contactInsertSql(1)).run(...contactRow(input, now)).lastInsertRowid);
    setTags(shard, "contact", id, input.tags);
    applyCustomValues(shard, "contact", id, input.customFields);
    logContactCreated(shard, actor, id, input, now);
    return id;
  });
  return getContact(shard, id);
}
