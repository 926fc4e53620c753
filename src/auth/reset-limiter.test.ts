import { describe, expect, it } from "bun:test";
import { ResetLimiter } from "./reset-limiter.ts";

const limits = { resetsPerAddress: 3, resetsPerIp: 5, resetsPerWorkspace: 2 };

describe("ResetLimiter", () => {
  it("limits requests per address, known or not, whatever client asks", () => {
    const limiter = new ResetLimiter(limits);
    for (const ip of ["1.1.1.1", "2.2.2.2", "3.3.3.3"]) expect(limiter.take("t", "a@x.test", ip, 0)).toBe(0);
    expect(limiter.take("t", "a@x.test", "4.4.4.4", 0)).toBeGreaterThan(0);
  });

  it("limits requests per client address across addresses and workspaces, counting nothing when refused", () => {
    const limiter = new ResetLimiter(limits);
    for (let i = 0; i < 5; i++) expect(limiter.take(`t${i}`, `n${i}@x.test`, "9.9.9.9", 0)).toBe(0);
    const wait = limiter.take("t0", "fresh@x.test", "9.9.9.9", 0);
    expect(wait).toBeGreaterThan(0);
    // The refused request spent nothing of its address: from another client it goes through.
    expect(limiter.take("t0", "fresh@x.test", "8.8.8.8", 0)).toBe(0);
    // The allowance comes back over the hour.
    expect(limiter.take("t9", "later@x.test", "9.9.9.9", wait)).toBe(0);
  });

  it("counts only mails sent against the workspace, whatever was asked", () => {
    const limiter = new ResetLimiter(limits);
    for (let i = 0; i < 10; i++) limiter.take("t", `nobody${i}@x.test`, `10.0.0.${i}`, 0);
    expect(limiter.mayMail("t", 0)).toBe(true);
    limiter.mailed("t", 0);
    limiter.mailed("t", 0);
    expect(limiter.mayMail("t", 0)).toBe(false);
    expect(limiter.mayMail("other", 0)).toBe(true);
    expect(limiter.mayMail("t", 3_600_000 / 2)).toBe(true);
  });
});
