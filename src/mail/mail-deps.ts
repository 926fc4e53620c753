import type { MailQueue } from "./mail-queue.ts";

/** What the routes that send mail need beside the app's common parts. */
export interface MailDeps {
  /** Undefined when mail is off (no CRM_SMTP_URL): pages then show links to pass on by hand. */
  mail: MailQueue | undefined;
}
