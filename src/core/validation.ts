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

/** A form field: trimmed; an empty field means "not given". */
export const formText = (max: number) =>
  z.preprocess(
    (v) => (typeof v === "string" ? v.trim() || undefined : v),
    z.string().max(max, `must be at most ${max} characters`),
  );

/** Text without control characters (they break CSV, logs and terminals). */
export const plainText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
    .regex(/^[^\u0000-\u001f\u007f]*$/, "must not contain control characters");

export const emailAddress = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, "must be at most 254 characters")
  .pipe(z.email("must be a valid email address"));
