import type { UserSummary } from "../../src/auth/users.ts";
import type { SelectOption } from "./form-field.ts";

/** A record form's owner menu: no one, or anyone in the workspace. */
export function ownerOptions(owners: UserSummary[]): SelectOption[] {
  return [{ value: "", label: "No owner" }, ...owners.map((u) => ({ value: String(u.id), label: u.name }))];
}
