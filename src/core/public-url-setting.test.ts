import { describe, expect, it } from "bun:test";
import { ConfigError, loadConfig } from "./config.ts";

const publicUrl = (value: string) => loadConfig({ CRM_PUBLIC_URL: value }).publicUrl;

describe("CRM_PUBLIC_URL", () => {
  it("takes an absolute https URL, with a path, dropping trailing slashes", () => {
    expect(publicUrl("https://crm.example.com/")).toBe("https://crm.example.com");
    expect(publicUrl("https://crm.example.com/crm//")).toBe("https://crm.example.com/crm");
  });

  it("takes http only for localhost and loopback addresses", () => {
    expect(publicUrl("http://localhost:3000")).toBe("http://localhost:3000");
    expect(publicUrl("http://127.0.0.1:3000")).toBe("http://127.0.0.1:3000");
    expect(publicUrl("http://[::1]:3000")).toBe("http://[::1]:3000");
    expect(() => publicUrl("http://crm.example.com")).toThrow(ConfigError);
    expect(() => publicUrl("http://localhost.evil.example")).toThrow(ConfigError);
  });

  it("refuses what would mail dead or leaky links, naming the setting", () => {
    for (const bad of [
      "crm.example.com",
      "javascript:alert(1)",
      "ftp://crm.example.com",
      "https://",
      "//crm.example.com",
    ])
      expect(() => publicUrl(bad)).toThrow(/CRM_PUBLIC_URL must be an absolute URL/);
    for (const bad of [
      "https://user:secret@crm.example.com",
      "https://crm.example.com/?a=1",
      "https://crm.example.com/#x",
    ])
      expect(() => publicUrl(bad)).toThrow(/CRM_PUBLIC_URL must have no user, password, query or fragment$/);
  });

  it("leaves it unset when empty", () => {
    expect(publicUrl("")).toBeUndefined();
  });
});
