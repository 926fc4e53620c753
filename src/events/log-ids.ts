import type { Shard } from "../tenancy/shard.ts";

/**
 * Takes `count` ids of the interaction log for events and returns the first; the events are then
 * stored with ids first, first + 1, … first + count − 1. Call inside the write transaction that
 * stores them (it holds the file's write lock, so no other writer takes ids meanwhile).
 *
 * `interactions` and `events` are one log in id order (the nightly export reads both up to one
 * watermark, the largest id), so their ids must never collide and must keep growing:
 * - interactions get theirs from SQLite's AUTOINCREMENT, which hands out one more than
 *   sqlite_sequence's `seq` for 'interactions' (or than the table's largest id, if larger);
 * - events take the ids after the largest of that sequence, the largest event id and the largest
 *   interaction id, then move the sequence to the last one: the next interaction gets an id past
 *   every event's. The row for 'interactions' is missing until the first interaction is stored
 *   (then it is inserted here).
 */
export function takeLogIds(shard: Shard, count: number): number {
  const { base } = shard
    .statement(
      `SELECT max(
         coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'interactions'), 0),
         coalesce((SELECT max(id) FROM events), 0),
         coalesce((SELECT max(id) FROM interactions), 0)
       ) AS base`,
    )
    .get() as { base: number };
  if (count <= 0) return base + 1;
  const last = base + count;
  const moved = shard.statement("UPDATE sqlite_sequence SET seq = ? WHERE name = 'interactions'").run(last);
  if (moved.changes === 0)
    shard.statement("INSERT INTO sqlite_sequence (name, seq) VALUES ('interactions', ?)").run(last);
  return base + 1;
}
