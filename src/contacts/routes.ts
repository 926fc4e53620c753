import { contactPage } from "../../views/contacts/contact-page.ts";
import { CONTACT_VIEW } from "../../views/contacts/contact-view.ts";
import type { AppDeps } from "../http/app-env.ts";
import { idParam, pageContext, rowContext } from "../http/page-context.ts";
import { viewerTimeZone } from "../http/viewer-time-zone.ts";
import { hasRole } from "../identity/roles.ts";
import { recordSectionsProps } from "../record-pages/record-sections-props.ts";
import { recordRoutes } from "../records/record-routes.ts";
import { contactEngagement } from "./contact-engagement.ts";
import { CONTACT_KIND } from "./contact-kind.ts";
import { contactName } from "./contact-record.ts";
import { getContact } from "./get-contact.ts";

/** The contact pages: those every kind has (list, quick add, edit, delete) and a contact's own page. */
export function contactRoutes(deps: AppDeps) {
  const app = recordRoutes(deps, CONTACT_KIND, CONTACT_VIEW);

  app.get("/:id", (c) => {
    const contact = getContact(c.var.shard, idParam(c));
    return c.html(
      contactPage({
        ctx: pageContext(c, deps),
        contact,
        name: contactName(contact),
        row: rowContext(c),
        canManagePrivacy: hasRole(c.var.viewer.role, "admin"),
        sections: recordSectionsProps(c, deps, { type: "contact", id: contact.id }),
        engagement: contactEngagement(c.var.shard, contact.id),
        zone: viewerTimeZone(c),
      }).value,
    );
  });

  return app;
}
