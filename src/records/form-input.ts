import { splitTags } from "../tags/tag-input.ts";

/**
 * What every kind's form sends alike, as its input schema takes it: the owner (a blank menu is
 * no owner; a form without the field, like quick add, gives the record to `defaultOwnerId`)
 * and the tags, comma-separated.
 */
export function ownerAndTags(
  fields: Record<string, string>,
  defaultOwnerId: number | null,
): { ownerId: number | null; tags: string[] } {
  return {
    ownerId: fields.ownerId === undefined ? defaultOwnerId : fields.ownerId ? Number(fields.ownerId) : null,
    tags: splitTags(fields.tags ?? ""),
  };
}
