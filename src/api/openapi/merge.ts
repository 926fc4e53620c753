import type { z } from "zod";
import { itemParameters, writeErrors, writeOperation } from "./operations.ts";
import { jsonBody, ref } from "./parts.ts";

// The OpenAPI document, part: Merging duplicates (src/merge/api-routes.ts).

export interface MergeDoc {
  /** The path segment, e.g. "contacts". */
  path: string;
  noun: string;
  /** The tag, also the operation id's noun: "Contacts". */
  nouns: string;
  schema: string;
  request: z.ZodType;
  /** What moves from the duplicate besides its tags and custom values. */
  moves: string;
}

export function mergePath(m: MergeDoc) {
  return {
    [`/api/v1/t/{tenant}/${m.path}/{id}/merge`]: {
      parameters: itemParameters(`The ${m.noun} that stays`),
      post: writeOperation(
        {
          operationId: `merge${m.nouns}`,
          summary: `Merge a duplicate ${m.noun} into this one`,
          description: `Folds \`duplicateId\` into this ${m.noun}, in one transaction: it takes the values chosen in \`keep\`, both records' tags, and the duplicate's ${m.moves}; the duplicate is then deleted. Logs \`${m.noun}.merged\` {mergedId, name} on this ${m.noun}, and \`${m.noun}.updated\` if its fields changed. Anything refused changes nothing.`,
          tags: [m.nouns],
        },
        jsonBody(m.request),
        { description: `This ${m.noun}, merged`, schema: ref(m.schema) },
        writeErrors(
          [404, `Either ${m.noun} is not in this workspace`],
          [
            422,
            `\`duplicateId\` is this ${m.noun} itself, a \`keep\` entry names no field or is not survivor or duplicate, or the two have more than 20 tags together; \`errors\` names the field`,
          ],
          [504, "The merge took too long and was stopped; nothing changed"],
        ),
      ),
    },
  };
}
