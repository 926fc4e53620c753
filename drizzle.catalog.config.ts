import { defineConfig } from "drizzle-kit";

/** Schema of the host's catalog (data/catalog.sqlite). `bun run db:generate` writes new migrations. */
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/tenancy/catalog-schema.ts",
  out: "./migrations/catalog",
});
