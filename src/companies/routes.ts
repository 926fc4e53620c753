import { companyOptions } from "../../views/companies/company-options.ts";
import { companyPage } from "../../views/companies/company-page.ts";
import { COMPANY_VIEW } from "../../views/companies/company-view.ts";
import { listContacts } from "../contacts/list-contacts.ts";
import type { AppDeps } from "../http/app-env.ts";
import { idParam } from "../http/page-context.ts";
import { recordSectionsProps } from "../record-pages/record-sections-props.ts";
import { cachedRecordPage } from "../records/cached-record-page.ts";
import { recordRoutes } from "../records/record-routes.ts";
import { COMPANY_KIND } from "./company-kind.ts";
import { getCompany } from "./get-company.ts";
import { companyNamesLike } from "./list-companies.ts";

/** The company pages: those every kind has (list, quick add, edit, delete), a company's own page, and name suggestions. */
export function companyRoutes(deps: AppDeps) {
  const app = recordRoutes(deps, COMPANY_KIND, COMPANY_VIEW);

  /** `<option>`s for the company field's datalist on contact and deal forms. */
  app.get("/options", (c) => {
    const typed = c.req.query("companyName") ?? c.req.query("q") ?? "";
    return c.html(companyOptions(companyNamesLike(c.var.shard, typed)).value);
  });

  app.get("/:id", (c) => {
    const shard = c.var.shard;
    const id = idParam(c);
    return c.html(
      cachedRecordPage(c, deps, "company-page", id, ({ secrets, now, ctx, row }) => {
        const company = getCompany(shard, id);
        return companyPage({
          ctx,
          company,
          // A company page lists its 20 most recently added people.
          contacts: listContacts(shard, { companyId: company.id, limit: 20 }).rows,
          row,
          sections: recordSectionsProps(c, { type: "company", id: company.id }, secrets, now),
        }).value;
      }),
    );
  });

  return app;
}
