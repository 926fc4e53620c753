import type { api } from "./workspace.ts";

type Call = ReturnType<typeof api>;
// biome-ignore lint/suspicious/noExplicitAny: mirrored records are compared whole, as JSON
type Json = any;

export const RECORD_PATHS = { contact: "contacts", company: "companies", deal: "deals" } as const;
export type RecordKind = keyof typeof RECORD_PATHS;

/** A change of the feed as the mirror reads it (src/changes/change.ts, seen from outside). */
interface FeedChange {
  id: string;
  type: string;
  object: { type: string; id: string; subject?: { type: RecordKind; id: string } };
  mergedId?: string;
}

/**
 * A local copy of a workspace kept in step the way README's "Keeping another system in step"
 * tells an integrator to: records and notes from the changes feed (fetching each changed one
 * by id, applying tombstones, merges and erasures locally), tasks from `updatedSince` on the
 * task list (their creation is not logged) with the feed's `task.deleted`. Counts every request.
 */
export class FeedMirror {
  readonly records: Record<RecordKind, Map<string, Json>> = {
    contact: new Map(),
    company: new Map(),
    deal: new Map(),
  };
  readonly notes = new Map<string, Json>();
  readonly tasks = new Map<string, Json>();
  cursor = "0";
  requests = 0;
  /** The latest task `updatedAt` seen: the next task read asks for changes since then (inclusive). */
  private tasksSince: string | undefined;

  constructor(
    private readonly call: Call,
    private readonly slug: string,
    private readonly pageSize = 50,
  ) {}

  private async get(path: string): Promise<{ status: number; json: Json }> {
    this.requests++;
    const response = await this.call("GET", `/t/${this.slug}${path}`);
    if (response.status !== 200 && response.status !== 404)
      throw new Error(`GET ${path}: ${response.status} ${response.text}`);
    return response;
  }

  /** Catches up: reads the feed to its end, then fetches what it named, then the changed tasks. */
  async sync(): Promise<void> {
    const stale: Stale = { records: new Set(), notes: new Set() };
    for (;;) {
      const page = await this.get(`/changes?after=${this.cursor}&limit=${this.pageSize}`);
      for (const change of page.json.data as FeedChange[]) this.apply(change, stale);
      const next = page.json.nextCursor as string;
      if (next === this.cursor) break;
      this.cursor = next;
    }
    await this.syncTasks(stale);
    for (const key of stale.records) {
      const [kind, id] = key.split(":") as [RecordKind, string];
      const response = await this.get(`/${RECORD_PATHS[kind]}/${id}`);
      if (response.status === 200) this.records[kind].set(id, response.json);
      else this.records[kind].delete(id);
    }
    for (const id of stale.notes) {
      const response = await this.get(`/notes/${id}`);
      if (response.status === 200) this.notes.set(id, response.json);
      else this.notes.delete(id);
    }
  }

  /** Tasks changed since the last read (creating one is not logged); the records they are on moved too. */
  private async syncTasks(stale: Stale): Promise<void> {
    let cursor: string | null = null;
    const since = this.tasksSince ? `&updatedSince=${encodeURIComponent(this.tasksSince)}` : "";
    do {
      const page: { json: Json } = await this.get(
        `/tasks?limit=200${since}${cursor ? `&cursor=${cursor}` : ""}`,
      );
      for (const task of page.json.data) {
        this.tasks.set(String(task.id), task);
        if (task.subjectType) stale.records.add(`${task.subjectType}:${task.subjectId}`);
        if (!this.tasksSince || task.updatedAt > this.tasksSince) this.tasksSince = task.updatedAt;
      }
      cursor = page.json.nextCursor;
    } while (cursor);
  }

  /** One feed entry: what it makes stale, and what it says without a fetch (tombstones, merges, erasures). */
  private apply(change: FeedChange, stale: Stale): void {
    const { type, object } = change;
    // A note, task or activity changed on a record touches the record (its updatedAt).
    if (object.subject) stale.records.add(`${object.subject.type}:${object.subject.id}`);
    if (object.type === "note") {
      if (type === "note.deleted") {
        stale.notes.delete(object.id);
        this.notes.delete(object.id);
      } else stale.notes.add(object.id);
      return;
    }
    if (object.type === "task") {
      if (type === "task.deleted") this.tasks.delete(object.id);
      return;
    }
    if (object.type === "activity") return;
    const kind = object.type as RecordKind;
    const key = `${kind}:${object.id}`;
    if (type.endsWith(".deleted") || type === "contact.erased") {
      stale.records.delete(key);
      this.records[kind].delete(object.id);
      this.dropLinksTo(kind, object.id, type === "contact.erased", stale);
      return;
    }
    stale.records.add(key);
    if (change.mergedId) {
      stale.records.delete(`${kind}:${change.mergedId}`);
      this.records[kind].delete(change.mergedId);
      for (const [noteId, note] of this.notes)
        if (note.subjectType === kind && String(note.subjectId) === change.mergedId) stale.notes.add(noteId);
      this.linkedRecords(kind, change.mergedId, stale);
    }
  }

  /**
   * What a record's deletion does, with no entry of its own: its notes go, its tasks become
   * about nothing (an erasure deletes them; the task read after the feed brings their new
   * updatedAt), and the records that named it are fetched again.
   */
  private dropLinksTo(kind: RecordKind, id: string, erased: boolean, stale: Stale): void {
    for (const [noteId, note] of this.notes) {
      if (note.subjectType !== kind || String(note.subjectId) !== id) continue;
      this.notes.delete(noteId);
      stale.notes.delete(noteId);
    }
    for (const [taskId, task] of this.tasks) {
      if (task.subjectType !== kind || String(task.subjectId) !== id) continue;
      if (erased) this.tasks.delete(taskId);
      else this.tasks.set(taskId, { ...task, subjectType: null, subjectId: null });
    }
    this.linkedRecords(kind, id, stale);
  }

  /** Records that name a company (companyId) or a contact (a deal's contactIds): a tombstone or merge changes them. */
  private linkedRecords(kind: RecordKind, id: string, stale: Stale): void {
    for (const [dealId, deal] of this.records.deal) {
      const named =
        (kind === "company" && String(deal.companyId) === id) ||
        (kind === "contact" && deal.contactIds.some((c: number) => String(c) === id));
      if (named) stale.records.add(`deal:${dealId}`);
    }
    if (kind !== "company") return;
    for (const [contactId, contact] of this.records.contact)
      if (String(contact.companyId) === id) stale.records.add(`contact:${contactId}`);
  }
}

type Stale = { records: Set<string>; notes: Set<string> };
