import type { Shard } from "../tenancy/shard.ts";
import { BatchInsert, nextId } from "./batch-insert.ts";
import type { Random } from "./random.ts";
import {
  COMPANY_NOTES,
  COMPETITORS,
  CONTACT_NOTES,
  CONTACT_TASKS,
  DEAL_NOTES,
  DEAL_TASKS,
  EVENTS,
  LINK_SENTENCES,
  TOPICS,
  WEEKDAYS,
} from "./sales-vocabulary.ts";
import { compile, fill, fits, type Lookup, type Template } from "./template.ts";
import {
  companySubject,
  contactSubject,
  DAY_MS,
  dealSubject,
  HOUR_MS,
  MINUTE_MS,
  type Subject,
  someone,
  timeBetween,
  token,
  type World,
} from "./world.ts";

const compiled = (texts: readonly string[]) => texts.map(compile);
const TASK_TEMPLATES = { contact: compiled(CONTACT_TASKS), deal: compiled(DEAL_TASKS) };
const NOTE_TEMPLATES = {
  contact: compiled(CONTACT_NOTES),
  deal: compiled(DEAL_NOTES),
  company: compiled(COMPANY_NOTES),
};
const LINK_TEMPLATES = compiled(LINK_SENTENCES);
/** To-dos about no record in particular. */
const OWN_TASKS = [
  "Prepare the weekly pipeline review",
  "Submit expense report",
  "Clean up old leads",
  "Update the price list",
  "Plan next month's outreach",
  "Review open quotes",
];

/**
 * The words a template about `subject` can use, drawn when first asked for (and then kept, so
 * the sentences of one note agree); undefined for what the subject cannot fill.
 */
function slotsFor(rng: Random, world: World, subject: Subject): Lookup {
  const person = world.contacts[subject.contact];
  const company = world.companies[subject.company];
  const drawn = new Map<string, string | undefined>();
  const draw = (slot: string): string | undefined => {
    switch (slot) {
      case "topic":
        return rng.pick(TOPICS);
      case "competitor":
        return rng.pick(COMPETITORS);
      case "event":
        return rng.pick(EVENTS);
      case "day":
        return rng.pick(WEEKDAYS);
      case "token":
        return token(rng, 22);
      case "first":
        return person?.first;
      case "last":
        return person?.last;
      case "slug":
        return person && asciiSlug(`${person.first}-${person.last}`);
      case "company":
        return company?.name;
      case "domain":
        return company?.domain;
      case "deal":
        return subject.deal?.title;
      default:
        return undefined;
    }
  };
  return (slot) => {
    if (!drawn.has(slot)) drawn.set(slot, draw(slot));
    return drawn.get(slot);
  };
}

const asciiSlug = (text: string) =>
  text
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "");

/** A random template whose slots `lookup` can fill (each pool has templates that need only the basics). */
function pickTemplate(rng: Random, templates: readonly Template[], lookup: Lookup): Template {
  for (let tries = 0; tries < 6; tries++) {
    const t = rng.pick(templates);
    if (fits(t, lookup)) return t;
  }
  const fallback = templates.find((t) => fits(t, lookup));
  if (!fallback) throw new Error("no template fits");
  return fallback;
}

/** Random records to write about: `perContact` × the people, `perDeal` × the deals, `perCompany` × the companies. */
function subjects(world: World, perContact: number, perDeal: number, perCompany: number, rng: Random) {
  const list: Subject[] = [];
  const add = (count: number, make: () => Subject | undefined) => {
    for (let i = 0; i < count; i++) {
      const s = make();
      if (s && s.to - s.from > 5 * MINUTE_MS) list.push(s);
    }
  };
  const { contacts, deals, companies } = world;
  if (contacts.length)
    add(Math.round(contacts.length * perContact), () =>
      contactSubject(world, rng.int(0, contacts.length - 1)),
    );
  if (deals.length) add(Math.round(deals.length * perDeal), () => dealSubject(world, rng.pick(deals)));
  if (companies.length)
    add(Math.round(companies.length * perCompany), () =>
      companySubject(world, rng.int(0, companies.length - 1)),
    );
  return list;
}

interface TaskSpec {
  title: string;
  subject: Subject | undefined;
  dueAt: number | null;
  assignee: number | null;
  createdBy: number | null;
  createdAt: number;
  completedAt: number | null;
  completedBy: number | null;
  updatedAt: number;
}

const atFive = (t: number) => Math.floor(t / DAY_MS) * DAY_MS + 17 * HOUR_MS;

function taskFor(rng: Random, world: World, subject: Subject | undefined): TaskSpec {
  const { anchor } = world;
  const from = subject?.from ?? anchor - 2 * 365 * DAY_MS;
  const to = subject?.to ?? anchor;
  const createdAt = timeBetween(rng, from, to - MINUTE_MS);
  const assignee = someone(rng, world.users, subject?.ownerId ?? null, 0.75);
  const createdBy = someone(rng, world.users, assignee, 0.65);
  let title = rng.pick(OWN_TASKS);
  if (subject) {
    const slots = slotsFor(rng, world, subject);
    title = fill(
      pickTemplate(rng, TASK_TEMPLATES[subject.type === "deal" ? "deal" : "contact"], slots),
      slots,
    );
  }
  const recent = anchor - createdAt < 30 * DAY_MS;
  const open = to === anchor && rng.chance(recent ? 0.55 : 0.02);
  if (!open) {
    const delay = Math.max(10 * MINUTE_MS, Math.floor(-Math.log(1 - rng.next()) * 1.5 * DAY_MS));
    const completedAt = createdAt + delay < to ? createdAt + delay : timeBetween(rng, createdAt, to);
    const due = rng.chance(0.75) ? atFive(createdAt + rng.int(0, 7) * DAY_MS) : null;
    return {
      title,
      subject,
      dueAt: due !== null && due < createdAt ? due + DAY_MS : due,
      assignee,
      createdBy,
      createdAt,
      completedAt,
      completedBy: someone(rng, world.users, assignee, 0.9),
      updatedAt: completedAt,
    };
  }
  let dueAt: number | null;
  if (!recent) dueAt = atFive(createdAt + rng.int(1, 14) * DAY_MS);
  else {
    const when = rng.weighted([
      ["overdue", 30],
      ["today", 15],
      ["upcoming", 40],
      ["none", 15],
    ] as const);
    if (when === "overdue")
      dueAt = Math.max(createdAt + HOUR_MS, atFive(timeBetween(rng, createdAt, anchor)));
    else if (when === "today") dueAt = anchor + rng.int(9, 17) * HOUR_MS;
    else if (when === "upcoming") dueAt = anchor + rng.int(1, 21) * DAY_MS + rng.int(9, 17) * HOUR_MS;
    else dueAt = null;
  }
  return {
    title,
    subject,
    dueAt,
    assignee,
    createdBy,
    createdAt,
    completedAt: null,
    completedBy: null,
    updatedAt: rng.chance(0.3) ? timeBetween(rng, createdAt, anchor) : createdAt,
  };
}

/**
 * Adds tasks: about one for every ten people and one for every two deals (before they
 * closed), a few about no record; most done (each logged as `task.completed` on its record),
 * the rest open: overdue, due today, upcoming or undated, mostly created in the last month.
 * Returns how many.
 */
export function seedTasks(shard: Shard, rng: Random, world: World): number {
  const specs = subjects(world, 0.1, 0.5, 0, rng).map((s) => taskFor(rng, world, s));
  const own = Math.round(specs.length * 0.03);
  for (let i = 0; i < own; i++) specs.push(taskFor(rng, world, undefined));
  specs.sort((a, b) => a.createdAt - b.createdAt);
  const insert = new BatchInsert(shard, "tasks", [
    "id",
    "title",
    "due_at",
    "assignee_id",
    "subject_type",
    "subject_id",
    "completed_at",
    "completed_by",
    "created_by",
    "created_at",
    "updated_at",
  ]);
  let id = nextId(shard, "tasks");
  for (const t of specs) {
    const taskId = id++;
    insert.add([
      taskId,
      t.title,
      t.dueAt,
      t.assignee,
      t.subject?.type ?? null,
      t.subject?.id ?? null,
      t.completedAt,
      t.completedBy,
      t.createdBy,
      t.createdAt,
      t.updatedAt,
    ]);
    if (t.completedAt !== null)
      world.timeline.add(
        t.completedAt,
        t.completedBy,
        "task.completed",
        t.subject?.type ?? "task",
        t.subject?.id ?? taskId,
        JSON.stringify({ taskId, title: t.title }),
      );
  }
  insert.finish();
  return specs.length;
}

function noteBody(rng: Random, world: World, subject: Subject): string {
  const slots = slotsFor(rng, world, subject);
  const pool = NOTE_TEMPLATES[subject.type];
  const count = rng.weighted([
    [1, 45],
    [2, 40],
    [3, 15],
  ] as const);
  const sentences: string[] = [];
  for (let i = 0; i < count; i++) {
    const sentence = fill(pickTemplate(rng, pool, slots), slots);
    if (!sentences.includes(sentence)) sentences.push(sentence);
  }
  // A link goes last: no sentence's full stop can be mistaken for part of the URL.
  if (rng.chance(0.2)) sentences.push(fill(pickTemplate(rng, LINK_TEMPLATES, slots), slots));
  return sentences.join(" ");
}

/**
 * Adds notes: about one per five people, and some on deals and companies; one to three
 * sentences, some with a link. Each is logged as `note.created` on its record. Returns how many.
 */
export function seedNotes(shard: Shard, rng: Random, world: World): number {
  const specs = subjects(world, 0.2, 0.3, 0.25, rng).map((subject) => {
    const createdAt = timeBetween(rng, subject.from, subject.to);
    return {
      subject,
      body: noteBody(rng, world, subject),
      authorId: someone(rng, world.users, subject.ownerId, 0.7),
      createdAt,
      updatedAt:
        rng.chance(0.15) && world.anchor - createdAt > 2
          ? timeBetween(rng, createdAt, world.anchor)
          : createdAt,
    };
  });
  specs.sort((a, b) => a.createdAt - b.createdAt);
  const insert = new BatchInsert(shard, "notes", [
    "id",
    "body",
    "subject_type",
    "subject_id",
    "author_id",
    "created_at",
    "updated_at",
  ]);
  let id = nextId(shard, "notes");
  for (const n of specs) {
    const noteId = id++;
    insert.add([noteId, n.body, n.subject.type, n.subject.id, n.authorId, n.createdAt, n.updatedAt]);
    world.timeline.add(
      n.createdAt,
      n.authorId,
      "note.created",
      n.subject.type,
      n.subject.id,
      JSON.stringify({ noteId }),
    );
  }
  insert.finish();
  return specs.length;
}
