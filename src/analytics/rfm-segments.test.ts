import { expect, it } from "bun:test";
import { readFileSync } from "node:fs";
import { RFM_SEGMENTS } from "./rfm-segments.ts";

it("names exactly the segments the nightly RFM job (jobs/rfm.sql) puts contacts in", () => {
  const sql = readFileSync(new URL("../../jobs/rfm.sql", import.meta.url), "utf8");
  const named = [...sql.matchAll(/(?:THEN|ELSE)\s+'([A-Z][a-z]+(?: [a-z]+)*)'/g)].map((m) => m[1]);
  expect(new Set(named)).toEqual(new Set(RFM_SEGMENTS));
});
