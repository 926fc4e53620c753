import { tagsColumn } from "../tags/set-tags.ts";
import { bulkLoad } from "../tenancy/bulk-load.ts";
import type { Shard } from "../tenancy/shard.ts";
import { Random } from "./random.ts";
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

export interface SeedOptions {
  contacts: number;
  seed: number;
  /** Timestamps are offsets back from this moment; default: the start of today (UTC). Same seed + same anchor = same data. */
  anchorMs?: number;
}

export interface SeedResult {
  contacts: number;
  companies: number;
  ms: number;
}

const DAY_MS = 86_400_000;
const SPAN_MS = 3 * 365 * DAY_MS;
/** People per company, on average. */
const CONTACTS_PER_COMPANY = 8;

function startOfTodayUtc(): number {
  return Math.floor(Date.now() / DAY_MS) * DAY_MS;
}

/** "José O'Brien" → "joseobrien": what an email address would hold. */
function asciiWord(text: string): string {
  return text
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "");
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
 * drawn from the workspace's users; creation dates over three years. One transaction, with
 * every row logged as created in the interaction log, as if typed in by hand.
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

  // Bulk loading needs more page cache than serving (random inserts into six indexes).
  const cacheSize = (shard.statement("PRAGMA cache_size").get() as { cache_size: number }).cache_size;
  shard.sqlite.run("PRAGMA cache_size = -65536");
  try {
    const existing = (shard.statement("SELECT count(*) AS n FROM contacts").get() as { n: number }).n;
    bulkLoad(shard, () => insertAll(shard, rng, anchor, owner, companyCount, options.contacts), {
      rebuildIndexes: options.contacts > existing,
    });
  } finally {
    shard.sqlite.run(`PRAGMA cache_size = ${cacheSize}`);
  }
  return { contacts: options.contacts, companies: companyCount, ms: Math.round(performance.now() - started) };
}

interface SeededCompany {
  id: number;
  domain: string;
  createdAt: number;
  code: string;
}

function insertAll(
  shard: Shard,
  rng: Random,
  anchor: number,
  owner: () => number | null,
  companyCount: number,
  contactCount: number,
): void {
  const tagIds = ensureTags(shard);
  const companies = insertCompanies(shard, rng, anchor, owner, companyCount, tagIds);
  insertContacts(shard, rng, anchor, owner, contactCount, companies, tagIds);
}

function ensureTags(shard: Shard): Map<string, number> {
  const tagIds = new Map<string, number>();
  for (const [name] of TAGS) {
    shard.statement("INSERT INTO tags (name) VALUES (?) ON CONFLICT (name) DO NOTHING").run(name);
    tagIds.set(name, (shard.statement("SELECT id FROM tags WHERE name = ?").get(name) as { id: number }).id);
  }
  return tagIds;
}

function logCreated(
  shard: Shard,
  at: number,
  subject: "contact" | "company",
  id: number,
  name: string,
): void {
  shard
    .statement(
      `INSERT INTO interactions (occurred_at, actor_type, actor_id, kind, subject_type, subject_id, payload)
       VALUES (?, 'system', NULL, ?, ?, ?, ?)`,
    )
    .run(at, `${subject}.created`, subject, id, JSON.stringify({ name }));
}

function insertCompanies(
  shard: Shard,
  rng: Random,
  anchor: number,
  owner: () => number | null,
  count: number,
  tagIds: Map<string, number>,
): SeededCompany[] {
  const insert = shard.statement(
    `INSERT INTO companies (name, domain, phone, city, country, owner_id, created_at, updated_at, tags)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const tag = shard.statement("INSERT OR IGNORE INTO company_tags (company_id, tag_id) VALUES (?, ?)");
  const companies: SeededCompany[] = [];
  for (const createdAt of creationTimes(rng, count, anchor)) {
    const stem = rng.pick(COMPANY_STEMS);
    const kind = rng.pick(COMPANY_KINDS);
    const name = rng.chance(0.6) ? `${stem} ${kind} ${rng.pick(COMPANY_SUFFIXES)}` : `${stem} ${kind}`;
    const domain = `${asciiWord(stem)}${asciiWord(kind)}${rng.chance(0.5) ? rng.int(2, 999) : ""}.${rng.pick(TLDS)}`;
    const [city, country, code] = rng.pick(CITIES);
    const updatedAt = Math.min(anchor, createdAt + Math.floor(rng.next() * (anchor - createdAt)));
    const tags = rng.chance(0.5) ? [rng.pick(["customer", "prospect", "partner", "supplier"])] : [];
    const id = Number(
      insert.run(
        name,
        domain,
        phoneFor(rng, code),
        city,
        country,
        owner(),
        createdAt,
        updatedAt,
        tagsColumn(tags),
      ).lastInsertRowid,
    );
    for (const name of tags) tag.run(id, tagIds.get(name));
    logCreated(shard, createdAt, "company", id, name);
    companies.push({ id, domain, createdAt, code });
  }
  return companies;
}

function insertContacts(
  shard: Shard,
  rng: Random,
  anchor: number,
  owner: () => number | null,
  count: number,
  companies: SeededCompany[],
  tagIds: Map<string, number>,
): void {
  const insert = shard.statement(
    `INSERT INTO contacts (first_name, last_name, email, phone, title, company_id, owner_id, created_at, updated_at, tags)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const tag = shard.statement("INSERT OR IGNORE INTO contact_tags (contact_id, tag_id) VALUES (?, ?)");
  for (const createdAt of creationTimes(rng, count, anchor)) {
    const first = rng.pick(FIRST_NAMES);
    const last = rng.pick(LAST_NAMES);
    // A person joins the CRM after their company does: pick among companies that existed by then.
    const existing = companiesBefore(companies, createdAt);
    const company = existing > 0 && rng.chance(0.8) ? companies[rng.int(0, existing - 1)] : undefined;
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
    const id = Number(
      insert.run(
        first,
        last,
        email,
        phone,
        title,
        company?.id ?? null,
        owner(),
        createdAt,
        updatedAt,
        tagsColumn(tags),
      ).lastInsertRowid,
    );
    for (const name of tags) tag.run(id, tagIds.get(name));
    logCreated(shard, createdAt, "contact", id, `${first} ${last}`);
  }
}
