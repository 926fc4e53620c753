import { describe, expect, it } from "bun:test";
import { LoginLimiter } from "./login-limiter.ts";

const config = { loginFailuresPerAccount: 3, loginFailuresPerIp: 5, loginWindowMinutes: 10 };

describe("LoginLimiter", () => {
  it("locks an account after its failures, until the window ends", () => {
    const limiter = new LoginLimiter(config);
    const t = 1_000_000;
    for (let i = 0; i < 3; i++) limiter.attempt("t1", "a@x.test", `10.0.0.${i}`, t)(false, t);
    expect(() => limiter.attempt("t1", "a@x.test", "10.0.0.9", t + 1000)).toThrow(/too many/);
    expect(() => limiter.attempt("t2", "a@x.test", "10.0.0.9", t + 1000)).not.toThrow();
    expect(() => limiter.attempt("t1", "a@x.test", "10.0.0.9", t + 10 * 60_000)).not.toThrow();
  });

  it("counts attempts still in flight, so concurrent guesses cannot pass the limit", () => {
    const limiter = new LoginLimiter(config);
    const inFlight = [0, 1, 2].map(() => limiter.attempt("t1", "b@x.test", "10.1.0.1", 0));
    expect(() => limiter.attempt("t1", "b@x.test", "10.1.0.2", 0)).toThrow(/too many/);
    for (const settle of inFlight) settle(true, 0);
    expect(() => limiter.attempt("t1", "b@x.test", "10.1.0.2", 0)).not.toThrow();
  });

  it("limits an address across accounts, and a success clears only the account", () => {
    const limiter = new LoginLimiter(config);
    for (let i = 0; i < 5; i++) limiter.attempt("t1", `u${i}@x.test`, "192.0.2.1", 0)(false, 0);
    expect(() => limiter.attempt("t1", "fresh@x.test", "192.0.2.1", 1)).toThrow();
  });
});
