import { findContactEvents, rewriteFoundEvents } from "../contacts/contact-events.ts";
import { contactName } from "../contacts/contact-record.ts";
import { getContact } from "../contacts/get-contact.ts";
import { touchContactDeals } from "../contacts/touch-contact-deals.ts";
import { requireRole } from "../identity/roles.ts";
import type { Actor } from "../identity/viewer.ts";
import { recordInteraction } from "../interactions/record-interaction.ts";
import type { Shard } from "../tenancy/shard.ts";
import { everyQuoteOf } from "./former-quotes.ts";
import { type ImportScrub, scrubImports } from "./scrub-imports.ts";
import { findEventMentions, type MentionCounts, scrubMentions } from "./scrub-mentions.ts";

/**
 * The steps of an erasure after the first (the erasure itself, committed when step 1 begins):
 * the search indexes optimized (1), the file rewritten (2), the write-ahead log emptied (3).
 */
export type ErasureStep = 1 | 2 | 3;

/** How many steps an erasure reports, the first included. */
export const ERASURE_STEPS = 4;

/** What an erasure will remove, for the confirmation page. */
export interface ErasurePreview {
  id: number;
  name: string;
  email: string | null;
  notes: number;
  tasks: number;
  interactions: number;
  deals: number;
  /** Events integrations pushed about them (their engagement summed), deleted with them. */
  pushedEvents: number;
}

/**
 * The erasure itself always commits before these steps run; each flag says whether one of the
 * clean-up steps that remove the erased bytes from the files succeeded. A false one leaves
 * bytes behind until the step runs again (the route logs it).
 */
export interface ErasureResult {
  /** The file was rewritten (VACUUM); false if SQLite refused, e.g. a statement was still running. */
  compacted: boolean;
  /** Why it was not. */
  compactError?: string;
  /** The write-ahead log was emptied; false if another connection was reading (a long export, another process). */
  walTruncated: boolean;
  /** Quotes of the person replaced in other records, per kind. */
  changed: MentionCounts;
  /** What went from the imports: journal rows, samples rewritten, and the files of finished imports to delete. */
  imports: ImportScrub;
}

const count = (shard: Shard, sql: string, id: number) => (shard.statement(sql).get(id) as { n: number }).n;

/** Checks an erasure may start: admins and owners only (403), and a contact of this workspace (404). */
export function requireErasable(shard: Shard, actor: Actor, contactId: number): void {
  requireRole(actor.role, "admin");
  getContact(shard, contactId);
}

/** The person and how much goes with them (admins and owners); 404 if the contact is not in this workspace. */
export function previewErasure(shard: Shard, actor: Actor, contactId: number): ErasurePreview {
  requireRole(actor.role, "admin");
  const contact = getContact(shard, contactId);
  return {
    id: contact.id,
    name: contactName(contact),
    email: contact.email,
    notes: count(
      shard,
      "SELECT count(*) AS n FROM notes WHERE subject_type = 'contact' AND subject_id = ?",
      contactId,
    ),
    tasks: count(
      shard,
      "SELECT count(*) AS n FROM tasks WHERE subject_type = 'contact' AND subject_id = ?",
      contactId,
    ),
    interactions: count(
      shard,
      "SELECT count(*) AS n FROM interactions WHERE subject_type = 'contact' AND subject_id = ?",
      contactId,
    ),
    deals: count(shard, "SELECT count(*) AS n FROM deal_contacts WHERE contact_id = ?", contactId),
    pushedEvents: count(
      shard,
      "SELECT coalesce(sum(count), 0) AS n FROM contact_engagement WHERE contact_id = ?",
      contactId,
    ),
  };
}

function secureDelete(shard: Shard): number {
  return Number(shard.sqlite.query("PRAGMA secure_delete").values()[0]?.[0] ?? 0);
}

/**
 * Rewrites the whole file from its live rows; anything deleted cannot survive it. The rewrite
 * is built in a temporary database, which `temp_store = MEMORY` would hold in RAM (measured:
 * +135 MB for a 150 MB file), so it goes to a temporary file for the duration.
 */
function compact(shard: Shard): Pick<ErasureResult, "compacted" | "compactError"> {
  const tempStore = Number(shard.sqlite.query("PRAGMA temp_store").values()[0]?.[0] ?? 0);
  try {
    shard.sqlite.run("PRAGMA temp_store = FILE");
    shard.sqlite.run("VACUUM");
    return { compacted: true };
  } catch (error) {
    // The erasure has committed: failing the request now would tell the user it did not happen.
    return { compacted: false, compactError: error instanceof Error ? error.message : String(error) };
  } finally {
    // The value read back above: 0, 1 or 2, never request text.
    shard.sqlite.run(`PRAGMA temp_store = ${tempStore}`);
  }
}

/**
 * Erases a person (GDPR article 17) so that nothing of them is left in the workspace's file:
 * their tasks, the contact (its notes, custom values, search entries, tag and deal links go
 * with it through triggers and cascades), the payloads of their interactions (the log keeps
 * that something happened and when, not what) and of their tasks' interactions (a task's
 * title may name them), their pushed events and engagement (deleted: each is about them alone;
 * the events are found by a scan of the log before the transaction, see findContactEvents),
 * and their full name and email wherever other records quote them
 * (scrubMentions); then logs `contact.erased` with an empty payload. Admins and owners only;
 * 404 if the contact is not in this workspace.
 *
 * Deleting a row is not enough to remove its bytes from the file:
 * - a deleted row stays in the page's free space; `secure_delete` overwrites it with zeros;
 * - a search index keeps deleted terms in its older segments until they merge: `optimize`;
 * - earlier versions of the row (each edit, each page split) were left in free space while
 *   `secure_delete` was off, and index b-trees keep copies of keys as dividers in their
 *   interior pages, which outlive the row: measured, an edited contact among 200 left its
 *   email on 2 pages and its name on 3. Only rewriting the file removes those: `VACUUM`
 *   (~0.7 s for 100,000 contacts, ~1.8 s with 1,000,000 interactions: run it in a worker,
 *   never on the server's thread; the workspace's writers wait meanwhile, its readers do not);
 * - the write-ahead log keeps old page images until a checkpoint: `wal_checkpoint(TRUNCATE)`.
 */
export function erasePerson(
  shard: Shard,
  actor: Actor,
  contactId: number,
  options: { now?: number; step?: (done: ErasureStep) => void } = {},
): ErasureResult {
  const now = options.now ?? Date.now();
  const step = options.step ?? (() => {});
  requireRole(actor.role, "admin");
  const previous = secureDelete(shard);
  const autocheckpoint = Number(shard.sqlite.query("PRAGMA wal_autocheckpoint").values()[0]?.[0] ?? 1000);
  shard.sqlite.run("PRAGMA secure_delete = ON");
  // The search indexes' optimize and the rewrite put tens of megabytes in the write-ahead log,
  // and whichever connection commits next copies them back into the file (an automatic
  // checkpoint): were that a write of the server's, its thread would stall (measured: 0.35 s
  // and more in a 100,000-contact workspace). So this connection makes no automatic checkpoint
  // (it would run after its commit, without the write lock, and a waiting write of the
  // server's would get in) and checkpoints at once after each, taking the write lock first.
  shard.sqlite.run("PRAGMA wal_autocheckpoint = 0");
  const checkpoint = () => shard.sqlite.query("PRAGMA wal_checkpoint(TRUNCATE)").values()[0]?.[0] ?? 1;
  let changed: MentionCounts | undefined;
  let imports: ImportScrub | undefined;
  try {
    // The scans of the events' log (theirs, and others' quoting them) run before the write
    // transaction, so the workspace's writers wait only for the transaction itself.
    const events = findContactEvents(shard, contactId);
    const quotedAs = everyQuoteOf(shard, getContact(shard, contactId));
    const quoting = findEventMentions(shard, quotedAs);
    shard.transaction(() => {
      const contact = getContact(shard, contactId);
      // Read before their log entries are blanked below: the names and emails they had before.
      const mentions = everyQuoteOf(shard, contact);
      const taskIds = shard
        .statement("SELECT id FROM tasks WHERE subject_type = 'contact' AND subject_id = ?")
        .values(contactId)
        .map(([id]) => Number(id));
      const anonymise = shard.statement(
        "UPDATE interactions SET payload = '{}' WHERE subject_type = ? AND subject_id = ?",
      );
      for (const taskId of taskIds) anonymise.run("task", taskId);
      shard.statement("DELETE FROM tasks WHERE subject_type = 'contact' AND subject_id = ?").run(contactId);
      touchContactDeals(shard, contactId, now);
      shard.statement("DELETE FROM contacts WHERE id = ?").run(contactId);
      anonymise.run("contact", contactId);
      rewriteFoundEvents(shard, events, contactId, null);
      shard.statement("DELETE FROM contact_engagement WHERE contact_id = ?").run(contactId);
      const name = contactName(contact);
      imports = scrubImports(shard, contactId, { ...contact, name }, mentions);
      // Edited since the scan: its list of quoting events is not for these words, so every event is read.
      const same = mentions.join("\n") === quotedAs.join("\n");
      changed = scrubMentions(shard, actor, mentions, same ? quoting : undefined, now);
      recordInteraction(shard, {
        actor,
        kind: "contact.erased",
        subjectType: "contact",
        subjectId: contactId,
        occurredAt: now,
        payload: {},
      });
    });
    step(1);
    shard.transaction(() => {
      shard.statement("INSERT INTO contacts_fts(contacts_fts) VALUES ('optimize')").run();
      shard.statement("INSERT INTO notes_fts(notes_fts) VALUES ('optimize')").run();
      shard.statement("INSERT INTO deals_fts(deals_fts) VALUES ('optimize')").run();
    });
    checkpoint();
    step(2);
    const compaction = compact(shard);
    const busy = checkpoint();
    step(3);
    if (!changed || !imports) throw new Error("the erasure did not run");
    return { ...compaction, walTruncated: busy === 0, changed, imports };
  } finally {
    // The values read back above: numbers, never request text.
    shard.sqlite.run(`PRAGMA secure_delete = ${previous}`);
    shard.sqlite.run(`PRAGMA wal_autocheckpoint = ${autocheckpoint}`);
  }
}
