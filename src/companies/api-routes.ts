import { resourceApiRoutes } from "../records/resource-api-routes.ts";
import { companyCreateInput, companyPatchInput } from "./company-input.ts";
import { companyJson } from "./company-record.ts";
import { createCompany } from "./create-company.ts";
import { deleteCompany } from "./delete-company.ts";
import { getCompany } from "./get-company.ts";
import { companyListParams, listCompanies } from "./list-companies.ts";
import { updateCompany } from "./update-company.ts";

/** /api/v1/t/:tenant/companies: the same services the pages use, as JSON. */
export function companyApiRoutes(renderCache: boolean) {
  return resourceApiRoutes(
    {
      path: "companies",
      listParams: companyListParams,
      list: listCompanies,
      get: getCompany,
      createInput: companyCreateInput,
      create: createCompany,
      patchInput: companyPatchInput,
      update: updateCompany,
      remove: deleteCompany,
      json: companyJson,
      entity: "company",
    },
    renderCache,
  );
}
