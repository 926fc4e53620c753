import { contactPage } from "../../views/contacts/contact-page.ts";
import { CONTACT_VIEW } from "../../views/contacts/contact-view.ts";
import type { AppDeps } from "../http/app-env.ts";
import { idParam } from "../http/page-context.ts";
import { viewerTimeZone } from "../http/viewer-time-zone.ts";
import { hasRole } from "../identity/roles.ts";
import { recordSectionsProps } from "../record-pages/record-sections-props.ts";
import { cachedRecordPage } from "../records/cached-record-page.ts";
import { recordRoutes } from "../records/record-routes.ts";
import { contactEngagement } from "./contact-engagement.ts";
import { CONTACT_KIND } from "./contact-kind.ts";
import { contactName } from "./contact-record.ts";
import { getContact } from "./get-contact.ts";

/** The contact pages: those every kind has (list, quick add, edit, delete) and a contact's own page. */
export function contactRoutes(deps: AppDeps) {
  const app = recordRoutes(deps, CONTACT_KIND, CONTACT_VIEW);

  app.get("/:id", (c) => {
    const shard = c.var.shard;
    const id = idParam(c);
    return c.html(
      cachedRecordPage(c, deps, "contact-page", id, ({ secrets, now, ctx, row }) => {
        const contact = getContact(shard, id);
        return contactPage({
          ctx,
          contact,
          name: contactName(contact),
          row,
          canManagePrivacy: hasRole(c.var.viewer.role, "admin"),
          sections: recordSectionsProps(c, { type: "contact", id: contact.id }, secrets, now),
          engagement: contactEngagement(shard, contact.id),
          zone: viewerTimeZone(c),
        }).value;
      }),
    );
  });

  return app;
}
