import { describe, expect, it } from "bun:test";
import { deviceToken, knownDevice } from "./device-tokens.ts";

const SECRET = "a host secret of enough length for HMAC";
const DAY = 86_400_000;

describe("device tokens", () => {
  it("name the user and a fresh device id, for the workspace that signed them, until they expire", () => {
    const token = deviceToken(SECRET, "tenant-a", 274730905243628, 1_000);
    const device = knownDevice(SECRET, "tenant-a", token, 30 * DAY, 2_000);
    expect(device?.userId).toBe(274730905243628);
    expect(device?.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(deviceToken(SECRET, "tenant-a", 274730905243628, 1_000)).not.toBe(token);
    expect(knownDevice(SECRET, "tenant-a", token, 30 * DAY, 1_000 + 30 * DAY)).toBeUndefined();
    // Issued "in the future" (a clock moved back, a forged date): not trusted.
    expect(knownDevice(SECRET, "tenant-a", token, 30 * DAY, 999)).toBeUndefined();
  });

  it("are worthless in another workspace, with another secret, or altered in any part", () => {
    const token = deviceToken(SECRET, "tenant-a", 42, 1_000);
    expect(knownDevice(SECRET, "tenant-b", token, DAY, 2_000)).toBeUndefined();
    expect(knownDevice(`${SECRET}!`, "tenant-a", token, DAY, 2_000)).toBeUndefined();
    const [user, issued, id, signature] = token.split(".") as [string, string, string, string];
    for (const altered of [
      `43.${issued}.${id}.${signature}`,
      `${user}.${Number(issued) + 1}.${id}.${signature}`,
      `${user}.${issued}.${id.replace(/^./, (c) => (c === "A" ? "B" : "A"))}.${signature}`,
      `${user}.${issued}.${id}.${signature.replace(/^./, (c) => (c === "A" ? "B" : "A"))}`,
      `${token}.`,
      "",
    ]) {
      expect(knownDevice(SECRET, "tenant-a", altered, DAY, 2_000)).toBeUndefined();
    }
  });
});
