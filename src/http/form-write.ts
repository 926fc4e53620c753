import type { FormState } from "../../views/components/form-field.ts";
import { BadRequestError, type FieldIssue, NotFoundError, ValidationError } from "../core/errors.ts";

/** A form the write refused: shown again with its errors (`form`), or as a list of problems. */
export interface FormRefusal {
  ok: false;
  /** 422 for a broken rule; 400 for a request no form of ours sends (only with `badRequests`); 404 with `notFound`. */
  status: 400 | 404 | 422;
  form: FormState;
  /** Each issue as "field: message" (a bad request's message alone), for pages that list them. */
  problems: string[];
  /** A broken rule's issues as they are, for pages that place them themselves (none for a 400 or 404). */
  issues: FieldIssue[];
}

export type FormWrite<T> = { ok: true; value: T } | FormRefusal;

export interface FormWriteOptions {
  /** Refuse a BadRequestError (400) the same way, e.g. a saved view whose query names an unknown filter. */
  badRequests?: boolean;
  /** Refuse a NotFoundError (404) the same way, e.g. a bulk change naming a record not in this workspace. */
  notFound?: boolean;
}

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

function refusal(values: Record<string, string>, error: unknown, options: FormWriteOptions): FormRefusal {
  if (error instanceof ValidationError) {
    const problems = error.issues.map((i) => `${i.field}: ${i.message}`);
    return {
      ok: false,
      status: 422,
      form: formStateFromIssues(values, error.issues),
      problems,
      issues: error.issues,
    };
  }
  if (options.badRequests && error instanceof BadRequestError)
    return { ok: false, status: 400, form: { values, errors: {} }, problems: [error.message], issues: [] };
  if (options.notFound && error instanceof NotFoundError)
    return { ok: false, status: 404, form: { values, errors: {} }, problems: [error.message], issues: [] };
  throw error;
}

/**
 * Runs a write from a submitted form (sync, or async like hashing a password). A
 * ValidationError, from parsing or from the service, becomes the form to show again with its
 * errors inline (`values` are what it shows back); anything else propagates to onError. The
 * one place a form turns a refusal into a page: route files write no catch blocks of their own.
 */
export function writeFromForm<T>(
  values: Record<string, string>,
  write: () => Promise<T>,
  options?: FormWriteOptions,
): Promise<FormWrite<T>>;
export function writeFromForm<T>(
  values: Record<string, string>,
  write: () => T,
  options?: FormWriteOptions,
): FormWrite<T>;
export function writeFromForm<T>(
  values: Record<string, string>,
  write: () => T | Promise<T>,
  options: FormWriteOptions = {},
): FormWrite<T> | Promise<FormWrite<T>> {
  try {
    const value = write();
    if (value instanceof Promise)
      return value.then(
        (v: T): FormWrite<T> => ({ ok: true, value: v }),
        (error: unknown) => refusal(values, error, options),
      );
    return { ok: true, value };
  } catch (error) {
    return refusal(values, error, options);
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
