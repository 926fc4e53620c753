import { z } from "zod";
import { parseOrThrow, plainText } from "../core/validation.ts";
import type { Shard } from "../tenancy/shard.ts";

export const NAME_MAX_LENGTH = 100;

const nameInput = z.object({ name: plainText(NAME_MAX_LENGTH).min(1, "is required") });

/** Renames the signed-in user (their own account only: the id is the session's). */
export function changeName(shard: Shard, userId: number, raw: unknown, now: number): string {
  const { name } = parseOrThrow(nameInput, raw);
  shard.transaction(() =>
    shard.statement("UPDATE users SET name = ?, updated_at = ? WHERE id = ?").run(name, now, userId),
  );
  return name;
}
