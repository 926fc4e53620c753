import { RECORD_TYPES } from "../core/record-types.ts";

/** What an interaction can be about. */
export const SUBJECT_TYPES = [...RECORD_TYPES, "task"] as const;
export type SubjectType = (typeof SUBJECT_TYPES)[number];

/** Activities users log by hand on a record's timeline. */
export const ACTIVITY_KINDS = ["call", "meeting", "email"] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

/**
 * Every kind of interaction and its payload (README documents the same list):
 * - `<subject>.created` {name} (a deal's also {stage}) · `<subject>.updated` {changes: {field: [old, new]}} ·
 *   `<subject>.deleted` {name} (a company's also {contactsUnlinked}) for contact, company, deal
 * - `contact.merged`, `company.merged` {mergedId, name}: the duplicate folded into this one
 * - `contact.erased` {}: personal data erased on request (the log keeps only that it happened)
 * - `deal.stage_changed` {fromStageId, toStageId, from, to} · `deal.won` {stage} · `deal.lost` {stage, reason}
 * - `call`, `meeting`, `email` {summary, direction?} logged by hand (direction: calls and emails) ·
 *   `activity.updated`, `activity.deleted` {activityId, kind}: one corrected in place or removed
 *   by who logged it or an admin (docs/decisions/0005's third rewrite)
 * - `note.created`, `note.updated`, `note.deleted` {noteId} · `task.completed`, `task.deleted` {taskId, title}
 * - `web.visit`, `email.opened`, `email.clicked`, `form.submitted` {url?, referrer?, title?, campaign?, form?}
 *   pushed by integrations (src/events), always about a contact
 */
export const CHANGE_VERBS = ["created", "updated", "deleted", "merged", "erased"] as const;

/** Events integrations push in bulk (POST /api/v1/t/<slug>/events), each about a contact. */
export const EVENT_KINDS = ["web.visit", "email.opened", "email.clicked", "form.submitted"] as const;
export type EventKind = (typeof EVENT_KINDS)[number];
