import { describe, expect, it } from "bun:test";
import { createHmac, randomBytes } from "node:crypto";
import { emailHash } from "../jobs/export/warehouse-key.ts";

describe("the export's email pseudonym", () => {
  it("is the HMAC-SHA256 of the lower-cased email, for keys shorter and longer than a block", () => {
    const emails = ["Ada@Example.COM", "zoë.ünïcode@exämple.de", "a@b", "x".repeat(500), "日本@例え.jp"];
    for (const length of [16, 32, 63, 64, 65, 200]) {
      const key = randomBytes(length);
      for (const email of emails)
        expect(emailHash(key, email)).toBe(
          createHmac("sha256", key).update(email.toLowerCase()).digest("hex"),
        );
    }
  });

  it("is null for no email", () => {
    const key = randomBytes(32);
    expect(emailHash(key, null)).toBeNull();
    expect(emailHash(key, undefined)).toBeNull();
    expect(emailHash(key, "")).toBeNull();
  });
});
