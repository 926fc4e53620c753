import type { SQLQueryBindings } from "bun:sqlite";
import { ValidationError } from "../core/errors.ts";
import { applyCustomValues } from "../custom-fields/apply-custom-values.ts";
import type { WithCustomFields } from "../custom-fields/field-values.ts";
import type { Actor } from "../identity/viewer.ts";
import { ensureTag, linkNewTags } from "../tags/set-tags.ts";
import { insertGroups } from "../tenancy/insert-groups.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { ContactCreate } from "./contact-input.ts";
import { contactInsertSql, contactIssues, contactRow, logContactCreated } from "./contact-row.ts";

/** What createContacts made: the contacts' ids (in input order) and the tags the workspace did not have before. */
export interface CreatedContacts {
  ids: number[];
  /** Tags made now, with the index in `inputs` of the first contact that carries each. */
  newTags: { id: number; name: string; first: number }[];
}

/**
 * Creates many contacts at once, each exactly as createContact would (the same checks and row,
 * its tags, custom values and `contact.created` log entry), all in one transaction or savepoint,
 * without reading them back: for imports. One refused contact refuses them all (a
 * ValidationError naming its index and field): the caller may then create them one by one to
 * find which.
 */
export function createContacts(
  shard: Shard,
  actor: Actor,
  inputs: WithCustomFields<ContactCreate>[],
  now = Date.now(),
): CreatedContacts {
  return shard.transaction(() => {
    const issues = inputs.flatMap((input, i) =>
      contactIssues(shard, input).map((issue) => ({ ...issue, field: `${i}.${issue.field}` })),
    );
    if (issues.length) throw new ValidationError(issues);
    const ids: number[] = [];
    let start = 0;
    for (const size of insertGroups(inputs.length)) {
      const values: SQLQueryBindings[] = [];
      for (let k = start; k < start + size; k++) contactRow(inputs[k] as ContactCreate, now, values);
      const result = shard.statement(contactInsertSql(size)).run(...values);
      // One statement under the write lock: its rows took consecutive ids, the last one reported.
      const last = Number(result.lastInsertRowid);
      for (let k = size - 1; k >= 0; k--) ids.push(last - k);
      start += size;
    }
    const tags = new Map<string, { id: number; made: boolean }>();
    const newTags: CreatedContacts["newTags"] = [];
    const links: [number, number][] = [];
    inputs.forEach((input, i) => {
      const id = ids[i] as number;
      for (const name of input.tags) {
        let tag = tags.get(name);
        if (!tag) {
          tag = ensureTag(shard, name);
          tags.set(name, tag);
          if (tag.made) newTags.push({ id: tag.id, name, first: i });
        }
        links.push([id, tag.id]);
      }
    });
    linkNewTags(shard, "contact", links);
    inputs.forEach((input, i) => {
      const id = ids[i] as number;
      applyCustomValues(shard, "contact", id, input.customFields);
      logContactCreated(shard, actor, id, input, now);
    });
    return { ids, newTags };
  });
}
