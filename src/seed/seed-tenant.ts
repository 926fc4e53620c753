import { tagsColumn } from "../tags/set-tags.ts";
import { bulkLoad } from "../tenancy/bulk-load.ts";
import type { Shard } from "../tenancy/shard.ts";
import { BatchInsert, nextId } from "./batch-insert.ts";
import { Random } from "./random.ts";
import { DEAL_TAGS } from "./sales-vocabulary.ts";
import { planActivities } from "./seed-activity.ts";
import { seedDeals } from "./seed-deals.ts";
import { seedNotes, seedTasks } from "./seed-tasks-notes.ts";
import { Timeline } from "./timeline.ts";
import {
  CITIES,
  COMPANY_KINDS,
  COMPANY_STEMS,
  COMPANY_SUFFIXES,
  FIRST_NAMES,
  LAST_NAMES,
  PERSONAL_DOMAINS,
  TAGS,
  TITLES,
  TLDS,
} from "./vocabulary.ts";
import { DAY_MS, type SeededCompany, type SeededContact, streamSeed, type World } from "./world.ts";

export interface SeedOptions {
  contacts: number;
  seed: number;
  /** Timestamps are offsets back from this moment; default: the start of today (UTC). Same seed + same anchor = same data. */
  anchorMs?: number;
  /** Deals to add; default DEALS_PER_CONTACT × contacts. */
  deals?: number;
  /**
   * Interaction log entries per contact, all kinds together: the records' and deals' own
   * entries, notes and completed tasks, and calls, meetings and emails for the rest. Default
   * INTERACTIONS_PER_CONTACT, but no more than DEFAULT_MAX_INTERACTIONS entries in all.
   */
  interactionsPerContact?: number;
}

export interface SeedResult {
  contacts: number;
  companies: number;
  deals: number;
  tasks: number;
  notes: number;
  interactions: number;
  ms: number;
}

export const DEALS_PER_CONTACT = 0.3;
export const INTERACTIONS_PER_CONTACT = 10;
/**
 * Unless `interactionsPerContact` is given, one seed logs at most this many entries in all, so
 * that seeding 100,000 contacts stays well under 10 s on a 2-vCPU machine (a million entries
 * take about 10.5 s there; see the README). Up to 30,000 contacts get the full
 * INTERACTIONS_PER_CONTACT; 100,000 get their records', deals', notes' and tasks' entries and
 * a few calls, meetings and emails.
 */
export const DEFAULT_MAX_INTERACTIONS = 300_000;

/** Independent random streams (see streamSeed): people and companies keep the original one. */
const STREAM = { deals: 1, tasks: 2, notes: 3, activities: 4 } as const;

const SPAN_MS = 3 * 365 * DAY_MS;
/** People per company, on average. */
const CONTACTS_PER_COMPANY = 8;

function startOfTodayUtc(): number {
  return Math.floor(Date.now() / DAY_MS) * DAY_MS;
}

const asciiWords = new Map<string, string>();

/** "José O'Brien" → "joseobrien": what an email address would hold. Memoized: the words come from short lists. */
function asciiWord(text: string): string {
  let word = asciiWords.get(text);
  if (word === undefined) {
    word = text
      .normalize("NFD")
      .replace(/\p{M}/gu, "")
      .toLowerCase()
      .replace(/[^a-z0-9]/g, "");
    asciiWords.set(text, word);
  }
  return word;
}

function phoneFor(rng: Random, code: string): string {
  if (code === "+1") return `+1 (${rng.int(201, 989)}) ${rng.digits(3)}-${rng.digits(4)}`;
  return `${code} ${rng.int(10, 99)} ${rng.digits(3)} ${rng.digits(4)}`;
}

/** Creation times over the last three years, denser towards today (a growing business), oldest first. */
function creationTimes(rng: Random, count: number, anchor: number): number[] {
  const times = new Array<number>(count);
  for (let i = 0; i < count; i++)
    times[i] = anchor - Math.floor(SPAN_MS * rng.next() ** 1.6) - rng.int(0, DAY_MS - 1);
  return times.sort((a, b) => a - b);
}

/** How many companies (sorted oldest first) were created at or before `time`. */
function companiesBefore(companies: { createdAt: number }[], time: number): number {
  let low = 0;
  let high = companies.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((companies[mid] as { createdAt: number }).createdAt <= time) low = mid + 1;
    else high = mid;
  }
  return low;
}

function pickTags(rng: Random, max: number): string[] {
  const tags = new Set<string>();
  const count = rng.weighted([
    [0, 30],
    [1, 40],
    [2, 20],
    [3, 10],
  ] as const);
  for (let i = 0; i < Math.min(count, max); i++) tags.add(rng.weighted(TAGS));
  return [...tags];
}

/**
 * Adds realistic, deterministic synthetic data to a workspace: companies with domains,
 * cities and phones; people at them (or on personal email) with titles, tags and owners
 * drawn from the workspace's users; creation dates over three years; deals moving through
 * the pipelines; tasks and notes; and the history of it all in the interaction log (records
 * and deals created, stage changes, wins and losses, notes, completed tasks, calls, meetings
 * and emails), in time order. One transaction.
 */
export function seedTenant(shard: Shard, options: SeedOptions): SeedResult {
  const started = performance.now();
  const rng = new Random(options.seed);
  const anchor = options.anchorMs ?? startOfTodayUtc();
  const owners = (shard.statement("SELECT id FROM users ORDER BY id").all() as { id: number }[]).map(
    (u) => u.id,
  );
  const owner = () => (owners.length ? rng.pick(owners) : null);
  const companyCount = Math.max(1, Math.round(options.contacts / CONTACTS_PER_COMPANY));
  const world: World = {
    anchor,
    users: owners,
    companies: [],
    contacts: [],
    deals: [],
    timeline: new Timeline(),
  };
  const stream = (name: keyof typeof STREAM) => new Random(streamSeed(options.seed, STREAM[name]));
  const entries =
    options.interactionsPerContact === undefined
      ? Math.min(INTERACTIONS_PER_CONTACT * options.contacts, DEFAULT_MAX_INTERACTIONS)
      : options.interactionsPerContact * options.contacts;
  const result = {
    contacts: options.contacts,
    companies: companyCount,
    deals: 0,
    tasks: 0,
    notes: 0,
    interactions: 0,
  };

  // Bulk loading needs more page cache than serving (random inserts into six indexes).
  const cacheSize = (shard.statement("PRAGMA cache_size").get() as { cache_size: number }).cache_size;
  shard.sqlite.run("PRAGMA cache_size = -65536");
  try {
    const existing = (shard.statement("SELECT count(*) AS n FROM contacts").get() as { n: number }).n;
    bulkLoad(
      shard,
      () => {
        const tagIds = ensureTags(
          shard,
          [...TAGS, ...DEAL_TAGS].map(([name]) => name),
        );
        world.companies = insertCompanies(shard, rng, world, owner, companyCount, tagIds);
        world.contacts = insertContacts(shard, rng, world, owner, options.contacts, tagIds);
        const deals = options.deals ?? Math.round(options.contacts * DEALS_PER_CONTACT);
        seedDeals(shard, stream("deals"), world, deals, tagIds);
        result.deals = world.deals.length;
        result.tasks = seedTasks(shard, stream("tasks"), world);
        result.notes = seedNotes(shard, stream("notes"), world);
        // Calls, meetings and emails fill the log up to `entries`, then it is written in time order.
        planActivities(stream("activities"), world, entries - world.timeline.length);
        result.interactions = world.timeline.write(shard);
      },
      { rebuildIndexes: options.contacts > existing },
    );
  } finally {
    shard.sqlite.run(`PRAGMA cache_size = ${cacheSize}`);
  }
  return { ...result, ms: Math.round(performance.now() - started) };
}

function ensureTags(shard: Shard, names: string[]): Map<string, number> {
  const tagIds = new Map<string, number>();
  for (const name of names) {
    shard.statement("INSERT INTO tags (name) VALUES (?) ON CONFLICT (name) DO NOTHING").run(name);
    tagIds.set(name, (shard.statement("SELECT id FROM tags WHERE name = ?").get(name) as { id: number }).id);
  }
  return tagIds;
}

function insertCompanies(
  shard: Shard,
  rng: Random,
  world: World,
  owner: () => number | null,
  count: number,
  tagIds: Map<string, number>,
): SeededCompany[] {
  const { anchor } = world;
  const insert = new BatchInsert(shard, "companies", [
    "id",
    "name",
    "domain",
    "phone",
    "city",
    "country",
    "owner_id",
    "created_at",
    "updated_at",
    "tags",
  ]);
  const companies: SeededCompany[] = [];
  let id = nextId(shard, "companies");
  for (const createdAt of creationTimes(rng, count, anchor)) {
    const stem = rng.pick(COMPANY_STEMS);
    const kind = rng.pick(COMPANY_KINDS);
    const name = rng.chance(0.6) ? `${stem} ${kind} ${rng.pick(COMPANY_SUFFIXES)}` : `${stem} ${kind}`;
    const domain = `${asciiWord(stem)}${asciiWord(kind)}${rng.chance(0.5) ? rng.int(2, 999) : ""}.${rng.pick(TLDS)}`;
    const [city, country, code] = rng.pick(CITIES);
    const updatedAt = Math.min(anchor, createdAt + Math.floor(rng.next() * (anchor - createdAt)));
    const tags = rng.chance(0.5) ? [rng.pick(["customer", "prospect", "partner", "supplier"])] : [];
    const phone = phoneFor(rng, code);
    const ownerId = owner();
    insert.add([id, name, domain, phone, city, country, ownerId, createdAt, updatedAt, tagsColumn(tags)]);
    world.timeline.add(createdAt, null, "company.created", "company", id, JSON.stringify({ name }));
    companies.push({ id, name, domain, createdAt, code, country, ownerId, tags, people: [] });
    id++;
  }
  insert.finish();
  insertTags(shard, "company_tags", "company_id", companies, tagIds);
  return companies;
}

function insertContacts(
  shard: Shard,
  rng: Random,
  world: World,
  owner: () => number | null,
  count: number,
  tagIds: Map<string, number>,
): SeededContact[] {
  const { anchor, companies } = world;
  const contacts: SeededContact[] = [];
  const insert = new BatchInsert(shard, "contacts", [
    "id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "title",
    "company_id",
    "owner_id",
    "created_at",
    "updated_at",
    "tags",
  ]);
  let id = nextId(shard, "contacts");
  for (const createdAt of creationTimes(rng, count, anchor)) {
    const first = rng.pick(FIRST_NAMES);
    const last = rng.pick(LAST_NAMES);
    // A person joins the CRM after their company does: pick among companies that existed by then.
    const existing = companiesBefore(companies, createdAt);
    const companyIndex = existing > 0 && rng.chance(0.8) ? rng.int(0, existing - 1) : -1;
    const company = companies[companyIndex];
    const local = rng.chance(0.7)
      ? `${asciiWord(first)}.${asciiWord(last)}`
      : `${asciiWord(first)[0]}${asciiWord(last)}`;
    const email = !rng.chance(0.85)
      ? null
      : company
        ? `${local}@${company.domain}`
        : `${local}${rng.int(1, 99)}@${rng.pick(PERSONAL_DOMAINS)}`;
    const phone = rng.chance(0.7) ? phoneFor(rng, company?.code ?? rng.pick(CITIES)[2]) : null;
    const title = company && rng.chance(0.8) ? rng.pick(TITLES) : null;
    const updatedAt = Math.min(anchor, createdAt + Math.floor(rng.next() ** 3 * (anchor - createdAt)));
    const tags = pickTags(rng, 3);
    const ownerId = owner();
    insert.add([
      id,
      first,
      last,
      email,
      phone,
      title,
      company?.id ?? null,
      ownerId,
      createdAt,
      updatedAt,
      tagsColumn(tags),
    ]);
    world.timeline.add(
      createdAt,
      null,
      "contact.created",
      "contact",
      id,
      JSON.stringify({ name: `${first} ${last}` }),
    );
    company?.people.push(contacts.length);
    contacts.push({ id, first, last, company: companyIndex, ownerId, createdAt, tags });
    id++;
  }
  insert.finish();
  insertTags(shard, "contact_tags", "contact_id", contacts, tagIds);
  return contacts;
}

/** Links records to their tags, once the records themselves are all in (foreign keys). */
function insertTags(
  shard: Shard,
  table: string,
  column: string,
  records: { id: number; tags: string[] }[],
  tagIds: Map<string, number>,
): void {
  const insert = new BatchInsert(shard, table, [column, "tag_id"]);
  for (const { id, tags } of records) for (const name of tags) insert.add([id, tagIds.get(name) as number]);
  insert.finish();
}
