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
    const home = "198.51.100.1";
    for (let i = 0; i < 2; i++) limiter.attempt("t1", "c@x.test", home, 0)(false, 0);
    limiter.attempt("t1", "c@x.test", home, 0)(true, 0);
    // The account starts again: three more failures (from elsewhere) are needed to lock it.
    for (let i = 0; i < 3; i++) {
      expect(() => limiter.attempt("t1", "c@x.test", `203.0.113.${i}`, 1)(false, 1)).not.toThrow();
    }
    expect(() => limiter.attempt("t1", "c@x.test", "203.0.113.9", 2)).toThrow(/too many/);
    // The address still counts its two failures: three more, each for another account, reach its limit of 5.
    for (let i = 0; i < 3; i++) limiter.attempt("t1", `other${i}@x.test`, home, 3)(false, 3);
    expect(() => limiter.attempt("t1", "new@x.test", home, 4)).toThrow(/too many/);
    expect(() => limiter.attempt("t1", "new@x.test", "198.51.100.2", 4)).not.toThrow();
  });
});
