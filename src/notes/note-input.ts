import { z } from "zod";
import { multilineText } from "../core/validation.ts";
import { subjectInput } from "../interactions/subject.ts";

/** A note's text: plain text (never HTML), kept as typed (lines and tabs too), up to 10,000 characters. */
export const noteBody = multilineText(10_000, "must be at most 10,000 characters").refine(
  (v) => v.trim().length > 0,
  "is required",
);

export const noteInput = z.object({ ...subjectInput, body: noteBody });

export type NoteInput = z.output<typeof noteInput>;
