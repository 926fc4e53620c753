import type { FormState } from "../../views/components/form-field.ts";
import { type FieldIssue, ValidationError } from "../core/errors.ts";

export type FormWrite<T> = { ok: true; value: T } | { ok: false; form: FormState };

/** How a form shows an issue: an API reference field (`companyId`) is typed by name on forms (`companyName`). */
function formField(issue: FieldIssue): string {
  if (issue.field.startsWith("customFields.")) return `cf.${issue.field.slice("customFields.".length)}`;
  const field = issue.field.split(".")[0] ?? issue.field;
  return field === "companyId" ? "companyName" : field;
}

/** The submitted values with each field's first error, for re-rendering a form. */
export function formStateFromIssues(values: Record<string, string>, issues: FieldIssue[]): FormState {
  const errors: Record<string, string> = {};
  for (const issue of issues) errors[formField(issue)] ??= issue.message;
  return { values, errors };
}

/**
 * Runs a write from a submitted form. A ValidationError (from parsing or from the service)
 * becomes the form to show again with its errors inline; anything else propagates.
 */
export function writeFromForm<T>(fields: Record<string, string>, write: () => T): FormWrite<T> {
  try {
    return { ok: true, value: write() };
  } catch (error) {
    if (error instanceof ValidationError)
      return { ok: false, form: formStateFromIssues(fields, error.issues) };
    throw error;
  }
}

/**
 * Runs each parser and, if any fail, throws one ValidationError with all their issues: a
 * form shows every bad field at once, built-in and custom alike.
 */
export function parseAll<T extends unknown[]>(...parsers: { [K in keyof T]: () => T[K] }): T {
  const issues: FieldIssue[] = [];
  const results = parsers.map((parse) => {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      issues.push(...error.issues);
      return undefined;
    }
  });
  if (issues.length) throw new ValidationError(issues);
  return results as T;
}
