import { html } from "../html.ts";
import { mailHtml } from "./mail-layout.ts";

export interface InvitationMailProps {
  workspaceName: string;
  inviterName: string;
  role: string;
  link: string;
  days: number;
}

/** The mail an invitee gets: who invited them to which workspace, and the link to join. */
export function invitationMail(p: InvitationMailProps): { subject: string; text: string; html: string } {
  const footer = `The link works once and expires in ${p.days} days. If you did not expect this, ignore this mail.`;
  return {
    subject: `${p.inviterName} invited you to ${p.workspaceName}`,
    text: `${p.inviterName} invited you to join ${p.workspaceName} on CRM as ${p.role}.\n\nJoin: ${p.link}\n\n${footer}\n`,
    html: mailHtml({
      workspaceName: p.workspaceName,
      lines: [html`<strong>${p.inviterName}</strong> invited you to join ${p.workspaceName} as ${p.role}.`],
      action: { label: `Join ${p.workspaceName}`, href: p.link },
      footer,
    }).value,
  };
}
