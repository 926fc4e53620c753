/**
 * Benchmark: what an API record's ETag (src/http/entity-tag.ts, a SHA-256 of the JSON
 * answered) costs, against the JSON.stringify every answer already pays, measured in the same
 * run: a contact as GET /contacts/<id> answers it (engagement included), and one with a
 * 2,000-character custom value. Median µs per call of 5 rounds of 200,000.
 *
 * Usage: bun scripts/bench/entity-tag.ts
 */
import { entityTag } from "../../src/http/entity-tag.ts";

const N = 200_000;
const ROUNDS = 5;

const contact = {
  id: 123_456_789,
  firstName: "Ada",
  lastName: "Lovelace",
  email: "ada@example.com",
  phone: "+44 20 7946 0000",
  title: "CTO",
  companyId: 42,
  ownerId: 3,
  tags: ["vip", "lead"],
  createdAt: "2026-01-01T09:30:00.000Z",
  updatedAt: "2026-02-01T09:30:00.000Z",
  customFields: { tier: "gold", score: 12 },
  engagement: [
    { kind: "web.visit", count: 3, firstAt: "2026-01-01T00:00:00.000Z", lastAt: "2026-02-01T00:00:00.000Z" },
  ],
};
const large = { ...contact, customFields: { ...contact.customFields, notes: "x".repeat(2000) } };

function microseconds(fn: () => unknown): number {
  const start = performance.now();
  for (let i = 0; i < N; i++) fn();
  return ((performance.now() - start) * 1000) / N;
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
}

for (const [name, record] of [
  ["contact", contact],
  ["contact + 2,000 characters", large],
] as const) {
  const json = JSON.stringify(record);
  const stringify: number[] = [];
  const tag: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    stringify.push(microseconds(() => JSON.stringify(record)));
    tag.push(microseconds(() => entityTag(json)));
  }
  const [s, t] = [median(stringify), median(tag)];
  console.log(
    `${name} (${json.length} bytes): JSON.stringify ${s.toFixed(2)} µs, entityTag ${t.toFixed(2)} µs, ratio ${(t / s).toFixed(2)}`,
  );
}
