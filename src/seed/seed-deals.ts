import { tagsColumn } from "../tags/set-tags.ts";
import type { Shard } from "../tenancy/shard.ts";
import { BatchInsert, nextId } from "./batch-insert.ts";
import type { Random } from "./random.ts";
import { DEAL_TAGS, LOST_REASONS, PARTNER_OFFERINGS, SALES_OFFERINGS } from "./sales-vocabulary.ts";
import {
  atWork,
  DAY_MS,
  exponential,
  HOUR_MS,
  isoDay,
  MINUTE_MS,
  normal,
  type SeededContact,
  type SeededDeal,
  someone,
  timeBetween,
  type World,
} from "./world.ts";

interface StageRow {
  id: number;
  name: string;
  kind: "open" | "won" | "lost";
}

/** How deals move through one pipeline. */
interface PipelinePlan {
  id: number;
  open: StageRow[];
  won: StageRow;
  lost: StageRow;
  offerings: readonly (readonly [string, number])[];
  /** Chance a deal is lost while in each open stage (the last value repeats). */
  lossAt: number[];
  /** Mean days a deal spends in each open stage before moving on (the last value repeats). */
  dwellDays: number[];
  /** Share of deals with no amount (a referral partnership has none). */
  zeroAmount: number;
}

const PARTNERSHIPS = {
  name: "Partnerships",
  stages: [
    ["Intro", 20, "open"],
    ["Evaluation", 50, "open"],
    ["Signed", 100, "won"],
    ["Declined", 0, "lost"],
  ],
} as const;

/** Chance per open stage that a deal stops moving and sits there (a forgotten lead)… */
const STALL = 0.05;
/** …until, some months later on average, someone marks it lost. */
const STALE_CLEANUP_DAYS = 120;

const EURO_COUNTRIES = new Set([
  "Ireland",
  "France",
  "Germany",
  "Netherlands",
  "Belgium",
  "Spain",
  "Portugal",
  "Italy",
  "Austria",
  "Finland",
  "Greece",
]);

function countryCurrency(country: string): string | undefined {
  if (EURO_COUNTRIES.has(country)) return "EUR";
  if (country === "United Kingdom") return "GBP";
  if (country === "United States") return "USD";
  return undefined;
}

const minorDigitsCache = new Map<string, number>();

function minorDigits(currency: string): number {
  let digits = minorDigitsCache.get(currency);
  if (digits === undefined) {
    try {
      digits =
        new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions()
          .maximumFractionDigits ?? 2;
    } catch {
      digits = 2;
    }
    minorDigitsCache.set(currency, digits);
  }
  return digits;
}

/** Adds the Partnerships pipeline unless the workspace has it; deterministic timestamps (the seed's start). */
function ensurePartnerships(shard: Shard, at: number): void {
  const existing = shard.statement("SELECT id FROM pipelines WHERE name = ?").get(PARTNERSHIPS.name);
  if (existing) return;
  const position = (
    shard.statement("SELECT ifnull(max(position), -1) + 1 AS p FROM pipelines").get() as { p: number }
  ).p;
  const id = Number(
    shard
      .statement("INSERT INTO pipelines (name, position, created_at, updated_at) VALUES (?, ?, ?, ?)")
      .run(PARTNERSHIPS.name, position, at, at).lastInsertRowid,
  );
  const stage = shard.statement(
    "INSERT INTO stages (pipeline_id, name, position, probability, kind, created_at) VALUES (?, ?, ?, ?, ?, ?)",
  );
  PARTNERSHIPS.stages.forEach(([name, probability, kind], position) => {
    stage.run(id, name, position, probability, kind, at);
  });
}

/** The pipelines deals go to, with weights: Sales (or the first pipeline) and Partnerships. */
function plans(shard: Shard): { sales: PipelinePlan | undefined; partners: PipelinePlan | undefined } {
  const pipelines = shard.statement("SELECT id, name FROM pipelines ORDER BY position, id").all() as {
    id: number;
    name: string;
  }[];
  const plan = (pipeline: { id: number; name: string } | undefined, partner: boolean) => {
    if (!pipeline) return undefined;
    const stages = shard
      .statement("SELECT id, name, kind FROM stages WHERE pipeline_id = ? ORDER BY position, id")
      .all(pipeline.id) as StageRow[];
    const open = stages.filter((s) => s.kind === "open");
    const won = stages.find((s) => s.kind === "won");
    const lost = stages.find((s) => s.kind === "lost");
    if (!open.length || !won || !lost) return undefined;
    return partner
      ? {
          id: pipeline.id,
          open,
          won,
          lost,
          offerings: PARTNER_OFFERINGS,
          lossAt: [0.3, 0.4],
          dwellDays: [14, 30],
          zeroAmount: 0.3,
        }
      : {
          id: pipeline.id,
          open,
          won,
          lost,
          offerings: SALES_OFFERINGS,
          lossAt: [0.3, 0.25, 0.2, 0.25],
          dwellDays: [8, 14, 12, 10],
          zeroAmount: 0,
        };
  };
  const partnerRow = pipelines.find((p) => p.name === PARTNERSHIPS.name);
  const salesRow = pipelines.find((p) => p.name === "Sales") ?? pipelines.find((p) => p !== partnerRow);
  return { sales: plan(salesRow, false), partners: plan(partnerRow, true) };
}

interface Step {
  at: number;
  from: StageRow;
  to: StageRow;
}

interface DealSpec {
  deal: SeededDeal;
  plan: PipelinePlan;
  stage: StageRow;
  stageEnteredAt: number;
  updatedAt: number;
  steps: Step[];
  amountCents: number;
  currency: string;
  expectedClose: string;
  lostReason: string | null;
  tags: string[];
}

/**
 * Walks a deal through its pipeline from `createdAt`: in each open stage it waits a while,
 * then is lost, won (from the last open stage) or moves on (now and then skipping a stage);
 * some stall where they are. Whatever has not happened by `anchor` leaves it open there. So
 * open deals are mostly recent and in early stages, and closed ones older.
 */
function walk(rng: Random, plan: PipelinePlan, createdAt: number, anchor: number, lossFactor: number) {
  const steps: Step[] = [];
  let index = 0;
  let t = createdAt;
  for (;;) {
    const stage = plan.open[index] as StageRow;
    if (rng.chance(STALL)) {
      // Nobody moves it on; months later someone cleans up the pipeline and marks it lost.
      const cleanup = atWork(
        rng,
        t + Math.floor(exponential(rng, STALE_CLEANUP_DAYS * DAY_MS)) + DAY_MS,
        t,
        anchor,
      );
      if (cleanup >= anchor) return { steps, stage, enteredAt: t, closed: false, stale: true };
      steps.push({ at: cleanup, from: stage, to: plan.lost });
      return { steps, stage: plan.lost, enteredAt: cleanup, closed: true, stale: true };
    }
    const mean = (plan.dwellDays[Math.min(index, plan.dwellDays.length - 1)] as number) * DAY_MS;
    const next = atWork(rng, t + Math.max(HOUR_MS, Math.floor(exponential(rng, mean))), t, anchor);
    if (next >= anchor) return { steps, stage, enteredAt: t, closed: false, stale: false };
    const loss = (plan.lossAt[Math.min(index, plan.lossAt.length - 1)] as number) * lossFactor;
    if (rng.chance(loss)) {
      steps.push({ at: next, from: stage, to: plan.lost });
      return { steps, stage: plan.lost, enteredAt: next, closed: true, stale: false };
    }
    if (index === plan.open.length - 1) {
      steps.push({ at: next, from: stage, to: plan.won });
      return { steps, stage: plan.won, enteredAt: next, closed: true, stale: false };
    }
    index += index + 2 < plan.open.length && rng.chance(0.1) ? 2 : 1;
    steps.push({ at: next, from: stage, to: plan.open[index] as StageRow });
    t = next;
  }
}

/** A deal amount in the currency's major unit: log-normal around the offering's median, rounded as people do. */
function amount(rng: Random, median: number): number {
  const raw = median * Math.exp(0.65 * normal(rng));
  const step = raw < 1_000 ? 10 : raw < 10_000 ? 50 : raw < 100_000 ? 500 : 1_000;
  return Math.max(step, Math.round(raw / step) * step);
}

function pickTags(rng: Random, offering: string): string[] {
  const tags = new Set<string>();
  const count = rng.weighted([
    [0, 40],
    [1, 40],
    [2, 20],
  ] as const);
  for (let i = 0; i < count; i++) tags.add(rng.weighted(DEAL_TAGS));
  if (offering.startsWith("Renewal") || offering.startsWith("Multi-year")) tags.add("renewal");
  if (offering.startsWith("Expansion") || offering.startsWith("Upgrade")) tags.add("upsell");
  return [...tags];
}

/** How many of `people` (sorted by creation) existed before `time`. */
function peopleBefore(world: World, people: number[], time: number): number {
  let low = 0;
  let high = people.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((world.contacts[people[mid] as number] as SeededContact).createdAt < time) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** A contact for a new deal: mostly people who work somewhere, and whose record is old enough to have one. */
function dealContact(rng: Random, world: World): number | undefined {
  const n = world.contacts.length;
  for (let tries = 0; tries < 8; tries++) {
    const i = rng.int(0, n - 1);
    const contact = world.contacts[i] as SeededContact;
    if (world.anchor - contact.createdAt < 2 * HOUR_MS) continue;
    if (contact.company < 0 && tries < 4 && rng.chance(0.75)) continue;
    return i;
  }
  return undefined;
}

function specFor(
  rng: Random,
  world: World,
  sales: PipelinePlan | undefined,
  partners: PipelinePlan | undefined,
  currency: string,
): DealSpec | undefined {
  const main = dealContact(rng, world);
  if (main === undefined) return undefined;
  const contact = world.contacts[main] as SeededContact;
  const company = contact.company >= 0 ? world.companies[contact.company] : undefined;
  const partnerish = company?.tags.includes("partner") || contact.tags.includes("partner");
  // Partnerships are with companies, not with people on their own.
  const plan = (partners && company && rng.chance(partnerish ? 0.7 : 0.12) ? partners : sales) ?? partners;
  if (!plan) return undefined;
  const { anchor } = world;

  // A deal comes a while after the person is in the CRM (weeks, usually), never after today.
  const delay = exponential(rng, 40 * DAY_MS);
  const createdAt =
    contact.createdAt + delay < anchor - HOUR_MS
      ? atWork(rng, contact.createdAt + Math.floor(delay) + 1, contact.createdAt, anchor)
      : timeBetween(rng, contact.createdAt, anchor);
  const customer = company?.tags.includes("customer") || contact.tags.includes("customer");
  const { steps, stage, enteredAt, closed, stale } = walk(rng, plan, createdAt, anchor, customer ? 0.6 : 1);

  const [offering, median] = rng.pick(plan.offerings);
  const title = `${company ? company.name : `${contact.first} ${contact.last}`} – ${offering}`;
  const local = company ? countryCurrency(company.country) : undefined;
  const dealCurrency = local && local !== currency && rng.chance(0.35) ? local : currency;
  const amountCents = rng.chance(plan.zeroAmount) ? 0 : amount(rng, median) * 10 ** minorDigits(dealCurrency);

  // Expected close: near the close for closed deals; for open ones around now, sooner in later stages.
  const progress = plan.open.indexOf(stage) / plan.open.length;
  const expectedClose = closed
    ? enteredAt + rng.int(-20, 10) * DAY_MS
    : anchor + Math.round((70 * (1 - progress) + 10) * (0.2 + 1.3 * rng.next()) - 15) * DAY_MS;

  const people = [main];
  if (company) {
    const before = peopleBefore(world, company.people, createdAt);
    const extra = rng.weighted([
      [0, 45],
      [1, 35],
      [2, 20],
    ] as const);
    for (let k = 0; k < extra * 2 && people.length < extra + 1 && before > 1; k++) {
      const other = company.people[rng.int(0, before - 1)] as number;
      if (!people.includes(other)) people.push(other);
    }
  }
  const ownerId = someone(rng, world.users, contact.ownerId, 0.7);
  // Now and then edited after its last move (closed ones within a month).
  const editUntil = closed ? Math.min(anchor, enteredAt + 30 * DAY_MS) : anchor;
  const updatedAt =
    rng.chance(closed ? 0.15 : 0.5) && editUntil - enteredAt > MINUTE_MS
      ? timeBetween(rng, enteredAt, editUntil)
      : enteredAt;
  return {
    deal: {
      id: 0,
      title,
      company: contact.company,
      contacts: people,
      ownerId,
      createdAt,
      closedAt: closed ? enteredAt : null,
    },
    plan,
    stage,
    stageEnteredAt: enteredAt,
    updatedAt,
    steps,
    amountCents,
    currency: dealCurrency,
    expectedClose: isoDay(expectedClose),
    lostReason:
      stage.kind !== "lost"
        ? null
        : stale
          ? rng.pick(["No decision", "Lost contact"])
          : rng.weighted(LOST_REASONS),
    tags: pickTags(rng, offering),
  };
}

/**
 * Adds `count` deals to the workspace's Sales pipeline (or its first) and to a Partnerships
 * pipeline (created if missing), each with its company, people, history in the interaction
 * log (created, every stage change, won or lost) and tags. Ids grow with creation time.
 */
export function seedDeals(
  shard: Shard,
  rng: Random,
  world: World,
  count: number,
  tagIds: Map<string, number>,
): void {
  if (count <= 0 || world.contacts.length === 0) return;
  ensurePartnerships(shard, world.anchor - 3 * 365 * DAY_MS);
  const { sales, partners } = plans(shard);
  const currency =
    (
      shard.statement("SELECT value FROM workspace_settings WHERE key = 'currency'").get() as {
        value: string;
      } | null
    )?.value ?? "USD";

  const specs: DealSpec[] = [];
  for (let i = 0; i < count; i++) {
    const spec = specFor(rng, world, sales, partners, currency);
    if (spec) specs.push(spec);
  }
  specs.sort((a, b) => a.deal.createdAt - b.deal.createdAt);

  const insert = new BatchInsert(shard, "deals", [
    "id",
    "title",
    "amount_cents",
    "currency",
    "expected_close_on",
    "pipeline_id",
    "stage_id",
    "company_id",
    "owner_id",
    "status",
    "lost_reason",
    "closed_at",
    "tags",
    "stage_entered_at",
    "created_at",
    "updated_at",
  ]);
  const people = new BatchInsert(shard, "deal_contacts", ["deal_id", "contact_id"]);
  const tagged = new BatchInsert(shard, "deal_tags", ["deal_id", "tag_id"]);
  const { timeline } = world;
  let id = nextId(shard, "deals");
  for (const spec of specs) {
    const { deal } = spec;
    deal.id = id++;
    insert.add([
      deal.id,
      deal.title,
      spec.amountCents,
      spec.currency,
      spec.expectedClose,
      spec.plan.id,
      spec.stage.id,
      deal.company >= 0 ? (world.companies[deal.company]?.id ?? null) : null,
      deal.ownerId,
      spec.stage.kind,
      spec.lostReason,
      deal.closedAt,
      tagsColumn(spec.tags),
      spec.stageEnteredAt,
      deal.createdAt,
      spec.updatedAt,
    ]);

    timeline.add(
      deal.createdAt,
      deal.ownerId,
      "deal.created",
      "deal",
      deal.id,
      JSON.stringify({ name: deal.title, stage: (spec.plan.open[0] as StageRow).name }),
    );
    for (const step of spec.steps) {
      const actor = someone(rng, world.users, deal.ownerId, 0.85);
      timeline.add(
        step.at,
        actor,
        "deal.stage_changed",
        "deal",
        deal.id,
        JSON.stringify({
          fromStageId: step.from.id,
          toStageId: step.to.id,
          from: step.from.name,
          to: step.to.name,
        }),
      );
      if (step.to.kind === "won")
        timeline.add(step.at, actor, "deal.won", "deal", deal.id, JSON.stringify({ stage: step.to.name }));
      else if (step.to.kind === "lost")
        timeline.add(
          step.at,
          actor,
          "deal.lost",
          "deal",
          deal.id,
          JSON.stringify({ stage: step.to.name, reason: spec.lostReason }),
        );
    }
    world.deals.push(deal);
  }
  insert.finish();
  // Links after every deal row is in: a batch of links must not reach a deal still in the deals batch.
  for (const { deal, tags } of specs) {
    for (const c of deal.contacts) people.add([deal.id, (world.contacts[c] as SeededContact).id]);
    for (const name of tags) tagged.add([deal.id, tagIds.get(name) as number]);
  }
  people.finish();
  tagged.finish();
}
