import { describe, expect, it } from "bun:test";
import { LoginLimiter } from "./login-limiter.ts";

const config = { loginFailuresPerAccount: 3, loginFailuresPerIp: 5, loginWindowMinutes: 10 };

describe("LoginLimiter", () => {
  it("locks an account after its failures, until the window ends", () => {
    const limiter = new LoginLimiter(config);
    const t = 1_000_000;
    for (let i = 0; i < 3; i++) limiter.failed("t1", "a@x.test", `10.0.0.${i}`, t);
    expect(() => limiter.check("t1", "a@x.test", "10.0.0.9", t + 1000)).toThrow(/too many/);
    expect(() => limiter.check("t2", "a@x.test", "10.0.0.9", t + 1000)).not.toThrow();
    expect(() => limiter.check("t1", "a@x.test", "10.0.0.9", t + 10 * 60_000)).not.toThrow();
  });

  it("limits an address across accounts, and a success clears only the account", () => {
    const limiter = new LoginLimiter(config);
    for (let i = 0; i < 5; i++) limiter.failed("t1", `u${i}@x.test`, "192.0.2.1", 0);
    expect(() => limiter.check("t1", "fresh@x.test", "192.0.2.1", 1)).toThrow();
    limiter.succeeded("t1", "fresh@x.test");
    expect(() => limiter.check("t1", "fresh@x.test", "192.0.2.1", 1)).toThrow();
  });
});
