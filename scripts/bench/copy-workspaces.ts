import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { Catalog } from "../../src/tenancy/catalog.ts";
import type { Tenant } from "../../src/tenancy/catalog-schema.ts";

/**
 * Puts a copy of `from`'s workspaces in host data dir `to` as a move does: the same catalog
 * record (id, slug, file name) and a consistent copy of the file (VACUUM INTO): the same ids,
 * the same events, wherever the workspace lives.
 */
export function copyWorkspaces(from: string, to: string, slugs: readonly string[]): void {
  const source = Catalog.open(from);
  const target = Catalog.open(to);
  try {
    for (const slug of slugs) {
      const { id, name, file, createdAt } = source.findBySlug(slug) as Tenant;
      mkdirSync(dirname(join(to, file)), { recursive: true });
      const db = new Database(join(from, file), { readonly: true });
      try {
        db.run(`VACUUM INTO '${join(to, file).replaceAll("'", "''")}'`);
      } finally {
        db.close();
      }
      target.reserve({ id, slug, name, file, createdAt });
      target.setStatus(id, "active");
    }
  } finally {
    source.close();
    target.close();
  }
}
