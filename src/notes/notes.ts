import { NotFoundError } from "../core/errors.ts";
import type { Actor } from "../identity/viewer.ts";
import { recordInteraction } from "../interactions/record-interaction.ts";
import { requireSubject, type Subject, touchSubject } from "../interactions/subject.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { NoteInput } from "./note-input.ts";
import type { Note } from "./schema.ts";

const COLUMNS = `id, body, subject_type AS subjectType, subject_id AS subjectId, author_id AS authorId,
  created_at AS createdAt, updated_at AS updatedAt`;

/** Adds a note to a record and logs `note.created` on it, in one transaction; returns the note and that interaction's id. */
export function createNote(
  shard: Shard,
  actor: Actor,
  input: NoteInput,
  now = Date.now(),
): { note: Note; interactionId: number } {
  return shard.transaction(() => {
    const subject = requireSubject(shard, { type: input.subjectType, id: input.subjectId });
    touchSubject(shard, subject, now);
    const note = shard
      .statement(
        `INSERT INTO notes (body, subject_type, subject_id, author_id, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
      )
      .get(
        input.body,
        input.subjectType,
        input.subjectId,
        actor.type === "user" ? actor.id : null,
        now,
        now,
      ) as Note;
    const interactionId = recordInteraction(shard, {
      actor,
      kind: "note.created",
      subjectType: input.subjectType,
      subjectId: input.subjectId,
      occurredAt: now,
      payload: { noteId: note.id },
    });
    return { note, interactionId };
  });
}

/** A note as the API answers it: times in ISO 8601. */
export function noteJson(n: Note) {
  return {
    id: n.id,
    body: n.body,
    subjectType: n.subjectType,
    subjectId: n.subjectId,
    authorId: n.authorId,
    createdAt: new Date(n.createdAt).toISOString(),
    updatedAt: new Date(n.updatedAt).toISOString(),
  };
}

export function getNote(shard: Shard, id: number): Note {
  const note = shard.statement(`SELECT ${COLUMNS} FROM notes WHERE id = ?`).get(id) as Note | null;
  if (!note) throw new NotFoundError("note");
  return note;
}

/** Logs what was done to a note on its record's timeline (who, when, which note) and touches the record. */
function logNote(shard: Shard, actor: Actor, note: Note, kind: "note.updated" | "note.deleted", now: number) {
  touchSubject(shard, { type: note.subjectType as Subject["type"], id: note.subjectId }, now);
  recordInteraction(shard, {
    actor,
    kind,
    subjectType: note.subjectType as Subject["type"],
    subjectId: note.subjectId,
    occurredAt: now,
    payload: { noteId: note.id },
  });
}

/** Changes a note's text and logs `note.updated` on its record (who changed it, when), in one transaction. */
export function updateNote(shard: Shard, actor: Actor, id: number, body: string, now = Date.now()): Note {
  return shard.transaction(() => {
    const before = getNote(shard, id);
    const note = shard
      .statement(`UPDATE notes SET body = ?, updated_at = ? WHERE id = ? RETURNING ${COLUMNS}`)
      .get(body, now, id) as Note;
    if (body !== before.body) logNote(shard, actor, before, "note.updated", now);
    return note;
  });
}

/** Deletes a note and logs `note.deleted` on its record; its line on the timeline then reads "note deleted". */
export function deleteNote(shard: Shard, actor: Actor, id: number, now = Date.now()): void {
  shard.transaction(() => {
    const note = getNote(shard, id);
    shard.statement("DELETE FROM notes WHERE id = ?").run(id);
    logNote(shard, actor, note, "note.deleted", now);
  });
}

/** Which of a record's notes a page of the API's list holds. */
export interface NotePageQuery {
  subjectType: string;
  subjectId: number;
  /** Only notes older than this id (the previous page's nextCursor). */
  before?: number;
  /** Only notes changed at or after this time (epoch ms). */
  updatedSince?: number;
  limit: number;
}

/**
 * A page of a record's notes, newest first (for the API; pages show them on the timeline):
 * a keyset range on the subject index (`id < before`), one row more than asked telling whether
 * another page follows; nextCursor is then the page's last id.
 */
export function notesPage(shard: Shard, q: NotePageQuery): { notes: Note[]; nextCursor: string | null } {
  // A fixed condition per filter given (four shapes, each prepared once): an `(? IS NULL OR …)`
  // would keep SQLite from seeking the index to the cursor.
  const where = ["subject_type = ?", "subject_id = ?"];
  const values: (string | number)[] = [q.subjectType, q.subjectId];
  if (q.before !== undefined) {
    where.push("id < ?");
    values.push(q.before);
  }
  if (q.updatedSince !== undefined) {
    where.push("updated_at >= ?");
    values.push(q.updatedSince);
  }
  const rows = shard
    .statement(`SELECT ${COLUMNS} FROM notes WHERE ${where.join(" AND ")} ORDER BY id DESC LIMIT ?`)
    .all(...values, q.limit + 1) as Note[];
  const notes = rows.slice(0, q.limit);
  const last = notes.at(-1);
  return { notes, nextCursor: rows.length > q.limit && last ? String(last.id) : null };
}
