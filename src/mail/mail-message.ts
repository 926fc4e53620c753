/** One mail as the app writes it: plain text for every client, simple HTML beside it. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** What a mail is about, for the log (never its text: reset and invitation links are secrets). */
export interface MailContext {
  kind: "invitation" | "password-reset";
  tenant: string;
}
