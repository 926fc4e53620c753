import type { A11yRecords } from "./a11y-workspace.ts";
import { waitForTask } from "./background-task.ts";
import type { BrowserClient } from "./browser-client.ts";
import { importIdOf, upload } from "./import-upload.ts";
import { linkIn, type SmtpInbox } from "./smtp-inbox.ts";
import { api, type DataDir, signIn } from "./workspace.ts";

/** The records behind the pages past the main lists: edit pages, segments, imports, a webhook, mailed links. */
export interface A11yMoreRecords {
  activityId: number;
  segmentId: number;
  webhookId: number;
  /** Imports left at each step: the mapping form, the dry run's result, run to the end. */
  imports: { mapping: number; checked: number; done: number };
  /** The finished run's progress page (/t/<slug>/background/<id>). */
  taskPath: string;
  /** The path of a live password-reset link, as mailed to the owner. */
  resetPath: string;
  /** The path of a pending invitation's link, as mailed to the invitee. */
  invitePath: string;
}

/**
 * Makes them as a user does, through the real API, the real forms and a real SMTP server: the
 * server must mail (CRM_SMTP_URL to `inbox`) with links under `publicUrl`, and accept webhook
 * targets on the loopback over http (CRM_WEBHOOKS_ALLOW_PRIVATE, CRM_WEBHOOKS_ALLOW_HTTP).
 */
export async function seedA11yMoreRecords(
  data: DataDir,
  base: string,
  slug: string,
  owner: string,
  records: A11yRecords,
  mail: Mail,
): Promise<A11yMoreRecords> {
  const call = api(base, await data.apiKey(slug, "owner"));
  const created = async (path: string, body: unknown) => {
    const answer = await call("POST", `/t/${slug}/${path}`, body);
    if (answer.status !== 201) throw new Error(`POST ${path}: ${answer.status} ${answer.text}`);
    return answer.json as { id: number };
  };
  const activity = await created("interactions", {
    kind: "call",
    subjectType: "contact",
    subjectId: records.contactId,
    summary: "Talked through the renewal",
    direction: "outbound",
  });
  const segment = await created("segments", {
    name: "Acme people",
    match: "all",
    rules: [{ field: "email", op: "contains", value: "acme" }],
  });
  // Port 9 (discard) refuses: the subscription's page shows failed deliveries too.
  const webhook = await created("webhooks", { url: "http://127.0.0.1:9/crm-hook", events: ["*"] });

  const client = await signIn(base, slug, owner);
  const [imports, resetPath, invitePath] = await Promise.all([
    importsAtEachStep(client, slug),
    resetLink(client, slug, owner, mail),
    invitationLink(client, slug, mail),
  ]);
  return {
    activityId: activity.id,
    segmentId: segment.id,
    webhookId: webhook.id,
    imports: imports.ids,
    taskPath: imports.taskPath,
    resetPath,
    invitePath,
  };
}

/** One contacts file (a row refused for its email) uploaded three times and taken to three steps. */
async function importsAtEachStep(client: BrowserClient, slug: string) {
  const csv = [
    "First Name,Last Name,Email Address",
    "Karen,Spärck Jones,karen@acme.test",
    "Edsger,Dijkstra,not-an-email",
  ].join("\r\n");
  const uploaded = async () => importIdOf(await upload(client, slug, csv, { fileName: "people.csv" }));
  const checked = async (id: number) => {
    const page = await client.get(`/t/${slug}/imports/${id}`);
    const form = client.forms(page.text).find((f) => f.action.endsWith(`/imports/${id}/mapping`));
    if (!form) throw new Error(`no mapping form:\n${page.text}`);
    await waitForTask(client, (await client.submit(form, {})).headers.get("location"));
    return id;
  };
  const mapping = await uploaded();
  const [dry, done] = [await checked(await uploaded()), await checked(await uploaded())];
  const ran = await waitForTask(
    client,
    (await client.post(`/t/${slug}/imports/${done}/run`, {})).headers.get("location"),
  );
  if (ran.status !== "Done.") throw new Error(`import run: ${ran.status}\n${ran.text}`);
  return { ids: { mapping, checked: dry, done }, taskPath: ran.path };
}

type Mail = { inbox: SmtpInbox; publicUrl: string };

/** The path of the first link under `prefix` in the mail to `email`. */
async function mailedPath(mail: Mail, email: string, prefix: string): Promise<string> {
  return linkIn(await mail.inbox.waitFor(email), `${mail.publicUrl}${prefix}`).slice(mail.publicUrl.length);
}

/** Asks for a reset link on the forgot-password form and reads it from the mail. */
async function resetLink(client: BrowserClient, slug: string, email: string, mail: Mail): Promise<string> {
  const asked = await client.post(`/t/${slug}/password-reset`, { email });
  if (asked.status !== 303) throw new Error(`password reset request: ${asked.status}`);
  return mailedPath(mail, email, `/t/${slug}/password-reset/`);
}

/** Invites a member on Settings → Team and reads the invitation's link from the mail. */
async function invitationLink(client: BrowserClient, slug: string, mail: Mail): Promise<string> {
  const email = "newcomer@axe.test";
  const made = await client.post(`/t/${slug}/settings/invitations`, { email, role: "member" });
  if (made.status !== 201) throw new Error(`invitation: ${made.status}`);
  return mailedPath(mail, email, `/t/${slug}/invites/`);
}
