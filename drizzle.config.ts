import { defineConfig } from "drizzle-kit";

/** Schema of a tenant's file: every capability's schema.ts. `bun run db:generate` writes new migrations. */
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/*/schema.ts",
  out: "./migrations/tenant",
});
