import { describe, expect, it } from "bun:test";
import { FIRST_WAIT_MS, LoginLimiter, type SignInAttempt } from "./login-limiter.ts";

const config = {
  loginFailuresPerAccount: 3,
  loginFailuresPerIp: 5,
  loginFailuresPerAccountAnywhere: 8,
  loginWindowMinutes: 10,
};
const WINDOW = 10 * 60_000;

/** An attempt by `email` in workspace t1 from `ip` (and a known device, if given). */
const from = (email: string, ip: string, device?: string): SignInAttempt => ({
  tenantId: "t1",
  email,
  ip,
  device,
});

/** The Retry-After an attempt is refused with, in seconds, or 0 if it may go ahead (and then it fails). */
function tryFailing(limiter: LoginLimiter, attempt: SignInAttempt, now: number): number {
  try {
    limiter.attempt(attempt, now)(false, now);
    return 0;
  } catch (error) {
    return (error as { retryAfterSeconds: number }).retryAfterSeconds;
  }
}

describe("LoginLimiter", () => {
  it("an address failing on an account waits after its free failures, twice as long after each further one, never past the window", () => {
    const limiter = new LoginLimiter(config);
    const guess = from("a@x.test", "203.0.113.1");
    for (let i = 0; i < 3; i++) expect(tryFailing(limiter, guess, 0)).toBe(0);
    expect(tryFailing(limiter, guess, 1)).toBe(30);
    let t = FIRST_WAIT_MS;
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      expect(tryFailing(limiter, guess, t)).toBe(0);
      const wait = tryFailing(limiter, guess, t);
      waits.push(wait);
      t += wait * 1000;
    }
    expect(waits).toEqual([60, 120, 240, 480, 600, 600]);
    // Still held a moment before the last wait ends.
    expect(tryFailing(limiter, guess, t - 1)).toBe(1);
    // Another address and another workspace are not held back by it.
    expect(() => limiter.attempt(from("a@x.test", "198.51.100.7"), t - 1)).not.toThrow();
    expect(() => limiter.attempt({ ...guess, tenantId: "t2" }, t - 1)).not.toThrow();
  });

  it("forgets an address's failures on an account after a quiet window, and at once after a success from it", () => {
    const limiter = new LoginLimiter(config);
    const guess = from("b@x.test", "203.0.113.2");
    for (let i = 0; i < 3; i++) tryFailing(limiter, guess, 0);
    expect(tryFailing(limiter, guess, 1)).toBeGreaterThan(0);
    // Quiet for a window after the wait ended: a fresh count, three failures free again.
    const later = FIRST_WAIT_MS + WINDOW;
    for (let i = 0; i < 2; i++) expect(tryFailing(limiter, guess, later)).toBe(0);
    limiter.attempt(guess, later)(true, later);
    // Two failures, then a success: forgotten at once.
    for (let i = 0; i < 3; i++) expect(tryFailing(limiter, guess, later)).toBe(0);
    expect(tryFailing(limiter, guess, later)).toBeGreaterThan(0);
  });

  it("counts attempts still in flight, so concurrent guesses cannot pass the allowance", () => {
    const limiter = new LoginLimiter(config);
    const guess = from("c@x.test", "10.1.0.1");
    const inFlight = [0, 1, 2].map(() => limiter.attempt(guess, 0));
    expect(() => limiter.attempt(guess, 0)).toThrow(/too many/);
    for (const settle of inFlight) settle(true, 0);
    expect(() => limiter.attempt(guess, 0)).not.toThrow();
  });

  it("limits an address across accounts, and a success clears only that account from that address", () => {
    const limiter = new LoginLimiter(config);
    const home = "198.51.100.1";
    for (let i = 0; i < 2; i++) tryFailing(limiter, from("d@x.test", home), 0);
    limiter.attempt(from("d@x.test", home), 0)(true, 0);
    // The account starts again from this address: three more failures are free.
    for (let i = 0; i < 3; i++) expect(tryFailing(limiter, from("d@x.test", home), 1)).toBe(0);
    // The address has now failed five times (2 + 3), its allowance, whatever the account.
    expect(tryFailing(limiter, from("new@x.test", home), 2)).toBeGreaterThan(0);
    expect(tryFailing(limiter, from("new@x.test", "198.51.100.2"), 2)).toBe(0);
  });

  it("guesses spread over many addresses hold the account back for unknown browsers, never for a device it signed in from", () => {
    const limiter = new LoginLimiter(config);
    for (let i = 0; i < 8; i++) expect(tryFailing(limiter, from("e@x.test", `203.0.113.${i}`), 0)).toBe(0);
    expect(tryFailing(limiter, from("e@x.test", "192.0.2.1"), 1)).toBe(30);
    // The owner's device, from wherever, is limited only by its own failures.
    const device = from("e@x.test", "192.0.2.200", "device-1");
    expect(() => limiter.attempt(device, 1)(true, 1)).not.toThrow();
    expect(() => limiter.attempt({ ...device, ip: "203.0.113.0" }, 1)(true, 1)).not.toThrow();
  });

  it("a known device that fails too often is treated like any other browser until its failures are forgotten", () => {
    const limiter = new LoginLimiter(config);
    // The account is under attack from elsewhere.
    for (let i = 0; i < 8; i++) tryFailing(limiter, from("f@x.test", `203.0.113.${i}`), 0);
    const device = from("f@x.test", "192.0.2.9", "device-2");
    for (let i = 0; i < 3; i++) expect(tryFailing(limiter, device, 1)).toBe(0);
    // Past its own allowance the device is one more unknown browser: the account's wait applies.
    expect(tryFailing(limiter, device, 2)).toBeGreaterThan(0);
    // Another device of the account is unaffected.
    expect(() => limiter.attempt({ ...device, device: "device-3" }, 2)).not.toThrow();
  });

  it("a success while another attempt on the account is still being checked clears nothing: that attempt and the failures before it still count", () => {
    const limiter = new LoginLimiter(config);
    const ip = "203.0.113.50";
    tryFailing(limiter, from("g@x.test", ip), 0);
    const guess = limiter.attempt(from("g@x.test", ip), 1);
    limiter.attempt(from("g@x.test", ip), 2)(true, 3);
    // One failure and the guess in flight count, so one more attempt may start, not two.
    const another = limiter.attempt(from("g@x.test", ip), 4);
    expect(() => limiter.attempt(from("g@x.test", ip), 4)).toThrow(/too many/);
    another(false, 5);
    guess(false, 6);
    expect(tryFailing(limiter, from("g@x.test", ip), 7)).toBe(30);
  });
});
