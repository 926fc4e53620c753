import { EVENT_KINDS } from "../../interactions/kinds.ts";

// The OpenAPI document, part: a contact's engagement (GET one contact).

/** `engagement` on a contact got by id: its integrations' events summed up per kind. */
export const contactEngagementSchema = {
  type: "array",
  description:
    "Only when getting one contact: per kind of pushed event (POST …/events), how many this contact has, and when the first and the last happened. A kind with none is left out.",
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
