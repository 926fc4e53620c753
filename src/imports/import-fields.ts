import { RECORD_PLURALS, RECORD_TYPES, type RecordType } from "../core/record-types.ts";

/** A field a column can be imported into. */
export interface ImportField {
  key: string;
  label: string;
  /**
   * Header names that mean this field, normalised (see normaliseHeader): what HubSpot,
   * Salesforce, Pipedrive, Zoho, Twenty and spreadsheets people make call it.
   */
  aliases: string[];
  /** What the mapping screen says about how the cell is read. */
  hint?: string;
}

const OWNER: ImportField = {
  key: "owner",
  label: "Owner",
  aliases: ["owner", "owneremail", "ownername", "recordowner", "assignedto", "assigneduser", "salesperson"],
  hint: "a user of this workspace, by email or name",
};

const TAGS: ImportField = {
  key: "tags",
  label: "Tags",
  aliases: ["tags", "tag", "labels", "label", "keywords"],
  hint: "separated by commas or semicolons",
};

const COMPANY_NAME = [
  "company",
  "companyname",
  "account",
  "accountname",
  "organization",
  "organisation",
  "organizationname",
  "organisationname",
  "personorganization",
  "associatedcompany",
  "employer",
  "companynamecompany",
];

/** The fields of each kind of record an import fills, in the order the mapping screen lists them. */
export const IMPORT_FIELDS: Record<RecordType, ImportField[]> = {
  contact: [
    {
      key: "firstName",
      label: "First name",
      aliases: ["firstname", "givenname", "first", "contactfirstname", "namefirstname", "personfirstname"],
    },
    {
      key: "lastName",
      label: "Last name",
      aliases: [
        "lastname",
        "surname",
        "familyname",
        "last",
        "contactlastname",
        "namelastname",
        "personlastname",
      ],
    },
    {
      key: "fullName",
      label: "Full name",
      aliases: ["name", "fullname", "contactname", "personname", "contact", "person"],
      hint: "split at the last space into first and last name",
    },
    {
      key: "email",
      label: "Email",
      aliases: [
        "email",
        "emailaddress",
        "email1",
        "primaryemail",
        "emails",
        "emailsprimaryemail",
        "workemail",
        "businessemail",
        "personemail",
        "personemailwork",
        "emailwork",
        "contactemail",
      ],
    },
    {
      key: "phone",
      label: "Phone",
      aliases: [
        "phone",
        "phonenumber",
        "mobile",
        "mobilephone",
        "mobilephonenumber",
        "workphone",
        "businessphone",
        "phones",
        "phonesprimaryphonenumber",
        "personphone",
        "personphonework",
        "phonework",
        "telephone",
      ],
    },
    { key: "title", label: "Job title", aliases: ["title", "jobtitle", "position", "jobposition", "role"] },
    {
      key: "companyName",
      label: "Company",
      aliases: COMPANY_NAME,
      hint: "by name; a company not in the workspace yet is created",
    },
    { ...OWNER, aliases: [...OWNER.aliases, "contactowner", "contactownername", "leadowner"] },
    TAGS,
  ],
  company: [
    {
      key: "name",
      label: "Name",
      aliases: ["name", ...COMPANY_NAME],
    },
    {
      key: "domain",
      label: "Domain",
      aliases: [
        "domain",
        "domainname",
        "companydomainname",
        "website",
        "websiteurl",
        "web",
        "url",
        "domainnameprimarylinkurl",
        "companywebsite",
        "organizationwebsite",
      ],
      hint: "a URL is reduced to its host",
    },
    {
      key: "phone",
      label: "Phone",
      aliases: ["phone", "phonenumber", "companyphone", "mainphone", "businessphone", "telephone"],
    },
    {
      key: "city",
      label: "City",
      aliases: ["city", "billingcity", "addresscity", "addressaddresscity", "organizationcity", "town"],
    },
    {
      key: "country",
      label: "Country",
      aliases: [
        "country",
        "countryregion",
        "billingcountry",
        "addresscountry",
        "addressaddresscountry",
        "organizationcountry",
      ],
    },
    { ...OWNER, aliases: [...OWNER.aliases, "companyowner", "accountowner", "organizationowner"] },
    TAGS,
  ],
  deal: [
    {
      key: "title",
      label: "Title",
      aliases: [
        "title",
        "dealname",
        "dealtitle",
        "name",
        "opportunityname",
        "opportunity",
        "potentialname",
        "deal",
      ],
    },
    {
      key: "amount",
      label: "Amount",
      aliases: ["amount", "dealvalue", "value", "dealamount", "opportunityamount", "amountamount"],
      hint: "1234.50, 1,234.50 or 1.234,50; in the deal's currency",
    },
    {
      key: "currency",
      label: "Currency",
      aliases: ["currency", "currencycode", "dealcurrency", "amountcurrencycode", "currencyisocode"],
      hint: "an ISO code like USD; the workspace's when empty",
    },
    { key: "pipeline", label: "Pipeline", aliases: ["pipeline", "dealpipeline", "pipelinename"] },
    {
      key: "stage",
      label: "Stage",
      aliases: ["stage", "dealstage", "stagename", "salesstage", "opportunitystage"],
      hint: "a stage of the pipeline, by name; its first stage when empty",
    },
    {
      key: "closeDate",
      label: "Expected close",
      aliases: [
        "closedate",
        "expectedclosedate",
        "expectedclose",
        "closingdate",
        "expectedclosingdate",
        "dealclosedate",
      ],
      hint: "a date; see the date order below",
    },
    { key: "companyName", label: "Company", aliases: COMPANY_NAME, hint: "by name; created if new" },
    {
      key: "contactEmail",
      label: "Contacts",
      aliases: [
        "contactemail",
        "personemail",
        "email",
        "associatedcontactemail",
        "primarycontactemail",
        "contacts",
        "contactnames",
        "people",
      ],
      hint: "people already in the workspace, by email or by name (several: separated by semicolons or commas)",
    },
    { ...OWNER, aliases: [...OWNER.aliases, "dealowner", "opportunityowner"] },
    TAGS,
    {
      key: "lostReason",
      label: "Lost reason",
      aliases: ["lostreason", "closedlostreason", "reasonlost", "lossreason"],
    },
  ],
};

/** "First Name", "first_name", "FirstName", "Person - First name" → "firstname" (and so on). */
export function normaliseHeader(name: string): string {
  return name
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "");
}

/** The built-in field a header names, if any. */
export function fieldForHeader(kind: RecordType, header: string): ImportField | undefined {
  const normal = normaliseHeader(header);
  if (!normal) return undefined;
  return IMPORT_FIELDS[kind].find((f) => f.aliases.includes(normal));
}

/** A kind as a form or the command line names it ("contact", or a list's "contacts"), or undefined. */
export function importKind(text: string | undefined): RecordType | undefined {
  return RECORD_TYPES.find((type) => type === text || RECORD_PLURALS[type] === text);
}
