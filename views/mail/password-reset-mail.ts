import { html } from "../html.ts";
import { mailHtml } from "./mail-layout.ts";

export interface PasswordResetMailProps {
  workspaceName: string;
  name: string;
  link: string;
  minutes: number;
}

/** The mail with a password-reset link; it says how long the link lasts and what to do if unasked. */
export function passwordResetMail(p: PasswordResetMailProps): {
  subject: string;
  text: string;
  html: string;
} {
  const footer = `The link works once and expires in ${p.minutes} minutes. If you did not ask for it, ignore this mail: your password stays as it is.`;
  return {
    subject: `Reset your password for ${p.workspaceName}`,
    text: `Hello ${p.name},\n\nSomeone (hopefully you) asked to reset your password for ${p.workspaceName}.\n\nChoose a new password: ${p.link}\n\n${footer}\n`,
    html: mailHtml({
      workspaceName: p.workspaceName,
      lines: [
        html`Hello ${p.name},`,
        html`Someone (hopefully you) asked to reset your password for ${p.workspaceName}.`,
      ],
      action: { label: "Choose a new password", href: p.link },
      footer,
    }).value,
  };
}
