import { z } from "zod";
import { type FieldIssue, ValidationError } from "./errors.ts";

/** zod's issues as our field issues: the dotted path names the field. */
export function fieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    field: issue.path.length ? issue.path.join(".") : "body",
    message: issue.message,
  }));
}

/** Parses `input` with `schema`, or throws a ValidationError (422) naming every bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationError(fieldIssues(result.error));
  return result.data;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the same, with tab, line feed and carriage return allowed
const CONTROLS_BUT_LINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
/**
 * Bidirectional embeddings and overrides (U+202A–U+202E) and isolates (U+2066–U+2069): they
 * make text display in another order than it is stored (a name, a file or a CSV cell that
 * reads as something else), and no name or note needs them.
 */
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/;

/**
 * Invisible formatting characters (zero-width space, non-joiner and joiner, left-to-right,
 * right-to-left and Arabic letter marks, word joiner, zero-width no-break space) at either end
 * of one line of text, spaces around them aside: there they only make two names that look alike
 * differ ("Ada" and "Ada\u200b"). Inside a name they stay allowed, where scripts need them
 * (a non-joiner in Persian, a joiner in Indic scripts and emoji).
 */
const INVISIBLE = "[\\u061c\\u200b-\\u200f\\u2060\\ufeff]";
const INVISIBLE_AT_EDGE = new RegExp(`^\\s*${INVISIBLE}|${INVISIBLE}\\s*$`);

export const CONTROL_MESSAGE = "must not contain control characters";
export const BIDI_MESSAGE = "must not contain bidirectional control characters";
export const SURROGATE_MESSAGE =
  "must be well-formed Unicode: it holds a lone surrogate (\\ud800–\\udfff without its pair)";
export const INVISIBLE_MESSAGE = "must not begin or end with an invisible formatting character";

/**
 * The one rule for text people type into records, notes, tasks, activities, custom values,
 * saved views and names: no C0 or C1 control characters (NUL, ESC, DEL…; with `lines`, tab
 * and line breaks are allowed; without, U+2028 and U+2029 are line breaks refused too), no
 * bidirectional controls, no lone surrogate, and (one line only) no invisible formatting
 * character at either end. Returns the problem, if any. Linear in the text's length.
 */
export function textProblem(value: string, lines = false): string | undefined {
  if ((lines ? CONTROLS_BUT_LINES : CONTROLS).test(value)) return CONTROL_MESSAGE;
  if (BIDI_CONTROLS.test(value)) return BIDI_MESSAGE;
  // Stored as UTF-8, a lone surrogate would silently become U+FFFD.
  if (!value.isWellFormed()) return SURROGATE_MESSAGE;
  if (!lines && INVISIBLE_AT_EDGE.test(value)) return INVISIBLE_MESSAGE;
  return undefined;
}

/** `textProblem` as a zod check, for any string schema. */
export function cleanText(lines = false) {
  return (value: string, ctx: z.RefinementCtx) => {
    const problem = textProblem(value, lines);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  };
}

/** A form field: trimmed; an empty field means "not given". */
export const formText = (max: number) =>
  z.preprocess(
    (v) => (typeof v === "string" ? v.trim() || undefined : v),
    z.string().max(max, `must be at most ${max} characters`).superRefine(cleanText()),
  );

/**
 * One line of text (names, titles, summaries): clean by `textProblem`, then trimmed of spaces.
 * Checked before trimming, so a tab or a line break at either end is refused like one inside,
 * not silently cut off.
 */
export const plainText = (max: number) =>
  z.string().superRefine(cleanText()).trim().max(max, `must be at most ${max} characters`);

/** Text that may span lines (a note): kept as typed, tabs and line breaks allowed, otherwise clean by `textProblem`. */
export const multilineText = (max: number, maxMessage = `must be at most ${max} characters`) =>
  z.string().max(max, maxMessage).superRefine(cleanText(true));

export const emailAddress = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, "must be at most 254 characters")
  .pipe(z.email("must be a valid email address"));
