import type { Random } from "./random.ts";
import { ACTIVITY_SUMMARIES, TOPICS } from "./sales-vocabulary.ts";
import { compile, uses } from "./template.ts";
import type { Kind } from "./timeline.ts";
import { DAY_MS, HOUR_MS, type SeededContact, someone, timeBetween, type World } from "./world.ts";

const KINDS = ["email", "call", "meeting"] as const satisfies readonly Kind[];
const DIRECTIONS = ["outbound", "inbound"] as const;
/** Weights of KINDS, for most people and for customers (who get more meetings). */
const MIX = [50, 32, 18];
const CUSTOMER_MIX = [45, 30, 25];
/** Chance a call, meeting or email came from the other side, by KINDS index. */
const INBOUND = [0.45, 0.3, 0.25];

/** JSON string content for `text` (what goes between the quotes). */
const jsonText = (text: string) => JSON.stringify(text).slice(1, -1);

/**
 * A payload with its summary's topic filled in and every literal already JSON-escaped: only the
 * person's first name and company remain to be added (odd places hold "first" or "company").
 */
type Recipe = readonly string[];

/**
 * Every payload recipe: each summary template with each topic, so writing a million entries
 * costs string concatenation rather than template filling and JSON.stringify. A logged entry
 * stores its recipe's index.
 */
const RECIPES: Recipe[] = [];
/** Per KINDS index × 2 + inbound: indexes into RECIPES of the first topic of each template, all and those needing no company. */
const CHOICES: { all: number[]; personal: number[] }[] = [];
for (const kind of KINDS)
  for (const direction of DIRECTIONS) {
    const choice = { all: [] as number[], personal: [] as number[] };
    for (const text of ACTIVITY_SUMMARIES[kind][direction]) {
      const template = compile(text);
      choice.all.push(RECIPES.length);
      if (!uses(template, "company")) choice.personal.push(RECIPES.length);
      for (const topic of TOPICS) {
        const parts = [...template];
        for (let i = 1; i < parts.length; i += 2)
          if (parts[i] === "topic") {
            parts[i - 1] = `${parts[i - 1]}${topic}${parts[i + 1]}`;
            parts.splice(i, 2);
            i -= 2;
          }
        for (let i = 0; i < parts.length; i += 2) parts[i] = jsonText(parts[i] as string);
        parts[0] = `{"summary":"${parts[0]}`;
        parts[parts.length - 1] = `${parts[parts.length - 1]}","direction":"${direction}"}`;
        RECIPES.push(parts);
      }
    }
    CHOICES.push(choice);
  }

function pickIndex(rng: Random, weights: readonly number[]): number {
  let total = 0;
  for (const w of weights) total += w;
  let r = rng.next() * total;
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i] as number;
    if (r < 0) return i;
  }
  return weights.length - 1;
}

/** How much more (or less) is logged about a person, from their tags and their company's. */
function attention(world: World, contact: SeededContact): number {
  let w = 1;
  for (const tag of contact.tags) {
    if (tag === "customer") w *= 2.5;
    else if (tag === "vip") w *= 1.5;
    else if (tag === "prospect" || tag === "decision-maker") w *= 1.2;
    else if (tag === "lead") w *= 0.7;
  }
  const company = world.companies[contact.company];
  if (company?.tags.includes("customer")) w *= 1.3;
  return w;
}

/**
 * Logs calls, meetings and emails, `budget` in all, spread over people by how long they have
 * been in the CRM and how much they matter (customers get more), each at a working hour
 * between the person's creation and now, a third of them in the first two months (getting to
 * know someone is busy). About the person, or about the deal they are on at the time, or now
 * and then their company. Payloads are rendered while the log is written (see Timeline).
 */
export function planActivities(rng: Random, world: World, budget: number): number {
  const { contacts, anchor, timeline } = world;
  if (budget <= 0 || contacts.length === 0) return 0;
  const span = 3 * 365 * DAY_MS;
  const weights = new Float64Array(contacts.length);
  let total = 0;
  contacts.forEach((c, i) => {
    const life = anchor - c.createdAt;
    if (life < HOUR_MS) return;
    weights[i] = (0.3 + 0.7 * Math.min(1, life / span)) * attention(world, c);
    total += weights[i] as number;
  });
  if (total === 0) return 0;

  // The latest deal each person is on (deals are sorted by creation).
  const lastDeal = new Int32Array(contacts.length).fill(-1);
  world.deals.forEach((d, i) => {
    for (const c of d.contacts) lastDeal[c] = i;
  });

  let planned = 0;
  for (let i = 0; i < contacts.length; i++) {
    const w = weights[i] as number;
    if (w === 0) continue;
    const contact = contacts[i] as SeededContact;
    const mean = (budget * w) / total;
    const count = Math.floor(mean * (0.3 + 1.4 * rng.next()) + rng.next());
    const customer = contact.tags.includes("customer");
    const company = world.companies[contact.company];
    const deal = world.deals[lastDeal[i] as number];
    for (let k = 0; k < count; k++) {
      const early = rng.chance(0.33);
      const until = early ? Math.min(anchor, contact.createdAt + 60 * DAY_MS) : anchor;
      const at = timeBetween(rng, contact.createdAt, until);
      const which = pickIndex(rng, customer ? CUSTOMER_MIX : MIX);
      const kind = KINDS[which] as Kind;
      const inbound = rng.chance(INBOUND[which] as number);
      // Some inbound email is logged by the mailbox sync, not by a person.
      const actor =
        kind === "email" && inbound && rng.chance(0.35)
          ? null
          : someone(rng, world.users, contact.ownerId, 0.8);
      const choices = CHOICES[which * 2 + (inbound ? 1 : 0)] as { all: number[]; personal: number[] };
      const recipe = rng.pick(company ? choices.all : choices.personal) + rng.int(0, TOPICS.length - 1);
      if (deal && at >= deal.createdAt && at <= (deal.closedAt ?? anchor) && rng.chance(0.5))
        timeline.addLazy(at, actor, kind, "deal", deal.id, recipe, i);
      else if (company && rng.chance(0.07))
        timeline.addLazy(at, actor, kind, "company", company.id, recipe, i);
      else timeline.addLazy(at, actor, kind, "contact", contact.id, recipe, i);
    }
    planned += count;
  }

  const firstNames: (string | undefined)[] = new Array(contacts.length);
  const companyNames: (string | undefined)[] = new Array(world.companies.length);
  timeline.lazy = (recipe, contactIndex) => {
    const parts = RECIPES[recipe] as Recipe;
    let out = parts[0] as string;
    for (let i = 1; i < parts.length; i += 2) {
      let value: string;
      if (parts[i] === "first") {
        value = firstNames[contactIndex] ?? jsonText((contacts[contactIndex] as SeededContact).first);
        firstNames[contactIndex] = value;
      } else {
        const c = (contacts[contactIndex] as SeededContact).company;
        value = companyNames[c] ?? jsonText(world.companies[c]?.name ?? "");
        companyNames[c] = value;
      }
      out += value + (parts[i + 1] as string);
    }
    return out;
  };
  return planned;
}
