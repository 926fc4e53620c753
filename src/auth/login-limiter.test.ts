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

  it("a success while another attempt on the account is still being checked clears nothing: that attempt and the failures before it still count", () => {
    const limiter = new LoginLimiter(config);
    limiter.attempt("t1", "d@x.test", "203.0.113.1", 0)(false, 0);
    // A guess in flight, then the owner signs in correctly while it is still being checked.
    const guess = limiter.attempt("t1", "d@x.test", "203.0.113.2", 1);
    limiter.attempt("t1", "d@x.test", "198.51.100.7", 2)(true, 3);
    // Right after the success: one failure and the guess in flight count, so one more attempt may start, not two.
    const another = limiter.attempt("t1", "d@x.test", "203.0.113.3", 4);
    expect(() => limiter.attempt("t1", "d@x.test", "203.0.113.4", 4)).toThrow(/too many/);
    another(false, 5);
    // The guess fails: with the failure before it and the one after, three in the window: locked.
    guess(false, 6);
    expect(() => limiter.attempt("t1", "d@x.test", "198.51.100.7", 7)).toThrow(/too many/);
  });

  it("a success clears the account once nothing else on it is being checked", () => {
    const limiter = new LoginLimiter(config);
    limiter.attempt("t1", "e@x.test", "203.0.113.1", 0)(false, 0);
    limiter.attempt("t1", "e@x.test", "203.0.113.1", 0)(false, 0);
    const first = limiter.attempt("t1", "e@x.test", "198.51.100.7", 1);
    // Two failures and one in flight reach the limit of three.
    expect(() => limiter.attempt("t1", "e@x.test", "198.51.100.8", 1)).toThrow(/too many/);
    first(true, 2);
    // Nothing pending when it succeeded: the account starts again, three fresh failures to lock it.
    for (let i = 0; i < 3; i++) {
      expect(() => limiter.attempt("t1", "e@x.test", `203.0.113.${10 + i}`, 3)(false, 3)).not.toThrow();
    }
    expect(() => limiter.attempt("t1", "e@x.test", "198.51.100.7", 4)).toThrow(/too many/);
  });
});
