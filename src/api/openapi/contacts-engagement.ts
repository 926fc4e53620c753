import { EVENT_KINDS } from "../../interactions/kinds.ts";

// The OpenAPI document, part: a contact's engagement (one contact answered alone).

/** `engagement` on a contact answered alone (get, create, update, merge): its integrations' events summed up per kind. */
export const contactEngagementSchema = {
  type: "array",
  description:
    "Only when one contact is answered alone (get, create, update, merge), not in lists: per kind of pushed event (POST …/events), how many this contact has, and when the first and the last happened. A kind with none is left out.",
  items: {
    type: "object",
    required: ["kind", "count", "firstAt", "lastAt"],
    additionalProperties: false,
    properties: {
      kind: { type: "string", enum: [...EVENT_KINDS] },
      count: { type: "integer", minimum: 1 },
      firstAt: { type: "string", format: "date-time" },
      lastAt: { type: "string", format: "date-time" },
    },
  },
} as const;
