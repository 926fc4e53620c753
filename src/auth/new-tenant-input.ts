import { z } from "zod";
import { emailAddress, plainText } from "../core/validation.ts";
import { slugProblem } from "../tenancy/slug.ts";
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "./password-hasher.ts";

export const passwordField = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `must be at least ${PASSWORD_MIN_LENGTH} characters`)
  .max(PASSWORD_MAX_LENGTH, `must be at most ${PASSWORD_MAX_LENGTH} characters`);

export const slugField = z
  .string()
  .trim()
  .toLowerCase()
  .superRefine((slug, ctx) => {
    const problem = slugProblem(slug);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/** What sign-up and `crm tenants create` both need to make a workspace. */
export const newTenantInput = z.object({
  slug: slugField,
  name: plainText(100).min(1, "is required"),
  ownerName: plainText(100).min(1, "is required"),
  ownerEmail: emailAddress,
  ownerPassword: passwordField,
});

export type NewTenantInput = z.output<typeof newTenantInput>;
