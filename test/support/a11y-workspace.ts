import type { Page } from "playwright-core";
import { api, type DataDir, PASSWORD } from "./workspace.ts";

/** What the accessibility tests' workspace holds: one of each record kind to open a page on. */
export interface A11yRecords {
  companyId: number;
  contactId: number;
  dealId: number;
  dealTitle: string;
  /** Another contact: the one the merge comparison sets beside the first. */
  otherContactId: number;
  taskId: number;
  noteId: number;
}

/**
 * A small workspace with a record of every kind, a task, a note with a link (a link inside
 * text) and the audit log's entries that creating them leaves, made through the real API.
 */
export async function seedA11yWorkspace(data: DataDir, base: string, slug: string, owner: string) {
  await data.tenant(slug, owner);
  const call = api(base, await data.apiKey(slug, "owner"));
  const created = async (path: string, body: unknown) => {
    const answer = await call("POST", `/t/${slug}/${path}`, body);
    if (answer.status !== 201) throw new Error(`POST ${path}: ${answer.status} ${answer.text}`);
    return answer.json as { id: number };
  };
  const company = await created("companies", { name: "Acme Plumbing", domain: "acme.test" });
  const contact = await created("contacts", {
    firstName: "Ada",
    lastName: "Lovelace",
    email: "ada@acme.test",
    companyId: company.id,
  });
  const other = await created("contacts", {
    firstName: "Grace",
    lastName: "Hopper",
    email: "grace@acme.test",
  });
  await created("contacts", { firstName: "Alan", lastName: "Turing", email: "alan@acme.test" });
  const dealTitle = "Acme renewal";
  const deal = await created("deals", { title: dealTitle, companyId: company.id, contactIds: [contact.id] });
  await created("deals", { title: "Boiler service", companyId: company.id });
  const task = await created("tasks", {
    title: "Call Ada back",
    subjectType: "contact",
    subjectId: contact.id,
  });
  const note = await created("notes", {
    subjectType: "contact",
    subjectId: contact.id,
    body: "Quote sent, see https://acme.test/quote for the details.",
  });
  return {
    companyId: company.id,
    contactId: contact.id,
    dealId: deal.id,
    dealTitle,
    otherContactId: other.id,
    taskId: task.id,
    noteId: note.id,
  } satisfies A11yRecords;
}

/** Signs `page` in through the real login form and waits for the contacts list. */
export async function signInPage(page: Page, base: string, slug: string, email: string): Promise<void> {
  await page.goto(`${base}/t/${slug}/login`);
  await page.fill("#login-email", email);
  await page.fill("#login-password", PASSWORD);
  await Promise.all([page.waitForURL(`**/t/${slug}/contacts`), page.click("main button[type=submit]")]);
}
