import { z } from "zod";
import { emailAddress, plainText } from "./validation.ts";

/** Digits with the usual phone punctuation; at least five digits. */
export const phoneNumber = z
  .string()
  .trim()
  .max(40, "must be at most 40 characters")
  .regex(/^\+?[0-9 ().-]+$/, "may use digits, spaces, + ( ) . and -")
  .refine((v) => (v.match(/\d/g)?.length ?? 0) >= 5, "must have at least 5 digits");

/** A field that may be cleared: null (or, from a form, an empty string) means "none". */
export function nullable<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (v === "" ? null : v), schema.nullable());
}

export const optionalEmail = nullable(emailAddress);
export const optionalPhone = nullable(phoneNumber);
export const optionalText = (max: number) => nullable(plainText(max));

/** A reference to another record in the same workspace (checked to exist by the service). */
export const recordId = z
  .number({ error: "must be a number" })
  .int("must be a whole number")
  .positive("must be positive");
export const optionalRecordId = nullable(recordId);
