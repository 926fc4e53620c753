import { resourceApiRoutes } from "../records/resource-api-routes.ts";
import { contactCreateInput, contactPatchInput } from "./contact-input.ts";
import { contactJson } from "./contact-record.ts";
import { createContact } from "./create-contact.ts";
import { deleteContact } from "./delete-contact.ts";
import { getContact } from "./get-contact.ts";
import { contactListParams, listContacts } from "./list-contacts.ts";
import { updateContact } from "./update-contact.ts";

/** /api/v1/t/:tenant/contacts: the same services the pages use, as JSON. */
export function contactApiRoutes(renderCache: boolean) {
  return resourceApiRoutes(
    {
      path: "contacts",
      listParams: contactListParams,
      list: listContacts,
      get: getContact,
      createInput: contactCreateInput,
      create: createContact,
      patchInput: contactPatchInput,
      update: updateContact,
      remove: deleteContact,
      json: contactJson,
      entity: "contact",
    },
    renderCache,
  );
}
