import type { Random } from "./random.ts";
import type { Timeline } from "./timeline.ts";

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export interface SeededCompany {
  id: number;
  name: string;
  domain: string;
  createdAt: number;
  code: string;
  country: string;
  ownerId: number | null;
  tags: string[];
  /** Indexes into `World.contacts` of the people working there, oldest first. */
  people: number[];
}

export interface SeededContact {
  id: number;
  first: string;
  last: string;
  /** Index into `World.companies`, or -1. */
  company: number;
  ownerId: number | null;
  createdAt: number;
  tags: string[];
}

export interface SeededDeal {
  id: number;
  title: string;
  /** Index into `World.companies`, or -1. */
  company: number;
  /** Indexes into `World.contacts`, the first being the main contact. */
  contacts: number[];
  ownerId: number | null;
  createdAt: number;
  /** When it was won or lost; null while open. */
  closedAt: number | null;
}

/** What the generators share: the records made so far and the log they all write to. */
export interface World {
  /** "Now" for the seed: nothing happens at or after it. */
  anchor: number;
  users: number[];
  companies: SeededCompany[];
  contacts: SeededContact[];
  deals: SeededDeal[];
  timeline: Timeline;
}

/** An independent random stream per generator, so more deals (say) do not change the people. */
export function streamSeed(seed: number, stream: number): number {
  return (Math.imul(seed ^ 0x5bd1e995, 0x27d4eb2d) + Math.imul(stream, 0x9e3779b9)) >>> 0;
}

/** A workspace user: `preferred` (the record's owner) with probability `p`, else anyone; null if there are none. */
export function someone(rng: Random, users: number[], preferred: number | null, p = 0.8): number | null {
  if (preferred !== null && rng.chance(p)) return preferred;
  return users.length ? rng.pick(users) : null;
}

/**
 * `t` moved into working hours (07:00–18:00 UTC, Monday to Friday) of its day, or of a day of
 * the next week at a weekend, if that stays strictly between `from` and `to`; otherwise `t` itself.
 */
export function atWork(rng: Random, t: number, from: number, to: number): number {
  let day = Math.floor(t / DAY_MS);
  const weekday = (day + 4) % 7; // 1970-01-01 was a Thursday; 0 = Sunday
  // A weekend moves to a day of the next week (to Monday alone, Mondays would be three times as busy).
  if (weekday === 6) day += 2 + Math.floor(rng.next() * 5);
  else if (weekday === 0) day += 1 + Math.floor(rng.next() * 5);
  const moved = day * DAY_MS + 7 * HOUR_MS + Math.floor(rng.next() * 11 * HOUR_MS);
  return moved > from && moved < to ? moved : t;
}

/** A time strictly between `from` and `to` (which must be at least 2 ms apart), in working hours when possible. */
export function timeBetween(rng: Random, from: number, to: number): number {
  const t = from + 1 + Math.floor(rng.next() * (to - from - 1));
  return atWork(rng, t, from, to);
}

/** A duration drawn from an exponential distribution with the given mean. */
export function exponential(rng: Random, mean: number): number {
  return -Math.log(1 - rng.next()) * mean;
}

/** A standard normal deviate (Box–Muller). */
export function normal(rng: Random): number {
  return Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

/** "2025-03-14" (UTC). */
export function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

const TOKEN_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

export function token(rng: Random, length: number): string {
  let s = "";
  for (let i = 0; i < length; i++) s += TOKEN_ALPHABET[Math.floor(rng.next() * TOKEN_ALPHABET.length)];
  return s;
}

/** A record tasks and notes can be about, and the span of time they can fall in. */
export interface Subject {
  type: "contact" | "company" | "deal";
  id: number;
  ownerId: number | null;
  /** Index into `World.contacts` of the person it concerns (for names in text), or -1. */
  contact: number;
  /** Index into `World.companies`, or -1. */
  company: number;
  deal: SeededDeal | undefined;
  from: number;
  to: number;
}

export function contactSubject(world: World, index: number): Subject {
  const c = world.contacts[index] as SeededContact;
  return {
    type: "contact",
    id: c.id,
    ownerId: c.ownerId,
    contact: index,
    company: c.company,
    deal: undefined,
    from: c.createdAt,
    to: world.anchor,
  };
}

export function dealSubject(world: World, deal: SeededDeal): Subject {
  return {
    type: "deal",
    id: deal.id,
    ownerId: deal.ownerId,
    contact: deal.contacts[0] ?? -1,
    company: deal.company,
    deal,
    from: deal.createdAt,
    to: deal.closedAt ?? world.anchor,
  };
}

export function companySubject(world: World, index: number): Subject {
  const c = world.companies[index] as SeededCompany;
  return {
    type: "company",
    id: c.id,
    ownerId: c.ownerId,
    contact: c.people.length ? (c.people[0] as number) : -1,
    company: index,
    deal: undefined,
    from: c.createdAt,
    to: world.anchor,
  };
}
