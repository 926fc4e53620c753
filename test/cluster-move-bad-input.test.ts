import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { clusterHeaders } from "../src/cluster/cluster-auth.ts";
import { readPlacement, writePlacement } from "../src/cluster/placement-file.ts";
import { type MoveCluster, workspacesOnA } from "./support/move-cluster.ts";

/**
 * `crm cluster move` refuses what it cannot do with a clear message and an exit status (2: bad
 * input, 1: a host refused or did not answer), and changes nothing: placement, the workspace's
 * writes, the hosts' files. Its host-to-host routes answer only requests signed with the secret.
 */
describe("crm cluster move refusals", () => {
  let cluster: MoveCluster;
  let key = "";
  let placementBefore = "";

  const nothingChanged = async () => {
    expect(readFileSync(cluster.placementFile, "utf8")).toBe(placementBefore);
    expect(existsSync(join(cluster.root, "operator", "moves", "acme.json"))).toBe(false);
    const write = await cluster.api("acme", key)("POST", "/t/acme/contacts", {
      firstName: "Still",
      lastName: "Here",
    });
    expect(write.status).toBe(201);
    expect(existsSync(join(cluster.dataDir("b"), "moves"))).toBe(false);
  };

  beforeAll(async () => {
    ({
      cluster,
      keys: { acme: key = "" },
    } = await workspacesOnA(["acme"]));
    placementBefore = readFileSync(cluster.placementFile, "utf8");
  }, 30_000);
  afterAll(() => cluster?.stop());

  const cases: [string, string[], number, string][] = [
    ["an unknown workspace", ["nobody", "--to", "b"], 1, 'no workspace "nobody" on'],
    ["an unknown host", ["acme", "--to", "zed"], 2, 'no host "zed" in placement (hosts: a, b)'],
    ["the host it is already on", ["acme", "--to", "a"], 2, "acme is already on a"],
    ["no --to", ["acme"], 2, "--to is required"],
    ["a slug that cannot be one", ["../etc", "--to", "b"], 2, "is not a workspace slug"],
    ["an unknown step for --until", ["acme", "--to", "b", "--until", "flop"], 2, "--until must be one of"],
    ["--rollback with --to", ["acme", "--rollback", "--to", "b"], 2, "--rollback takes no --to"],
    ["--rollback with no move in progress", ["acme", "--rollback"], 1, "no move of acme is in progress"],
  ];
  for (const [what, args, code, message] of cases)
    it(`refuses ${what} (exit ${code}) and changes nothing`, async () => {
      const result = await cluster.move(args);
      expect(result.stderr).toContain(message);
      expect(result.code).toBe(code);
      await nothingChanged();
    });

  it("refuses a destination that does not answer (exit 1) and changes nothing", async () => {
    const placement = readPlacement(cluster.placementFile);
    // A port nothing listens on.
    const gone = { name: "gone", url: "http://127.0.0.1:9" };
    writePlacement(cluster.placementFile, { ...placement, hosts: [...placement.hosts, gone] });
    const withGone = readFileSync(cluster.placementFile, "utf8");
    try {
      const result = await cluster.move(["acme", "--to", "gone"]);
      expect(result.stderr).toContain("host gone (http://127.0.0.1:9) did not answer");
      expect(result.code).toBe(1);
      expect(readFileSync(cluster.placementFile, "utf8")).toBe(withGone);
    } finally {
      writePlacement(cluster.placementFile, placement);
      placementBefore = readFileSync(cluster.placementFile, "utf8");
    }
    await nothingChanged();
  });

  it("refuses to run without a placement file (exit 2) and changes nothing", async () => {
    const missing = join(cluster.root, "no-such-cluster.json");
    const result = await cluster.move(["acme", "--to", "b"], { CRM_CLUSTER_FILE: missing });
    expect(result.stderr).toContain(`no placement file at ${missing}`);
    expect(result.code).toBe(2);
    await nothingChanged();
  });

  it("answers /_cluster only to requests signed with the cluster's secret", async () => {
    const a = cluster.servers.a?.url;
    const path = "/_cluster/t/acme/freeze";
    const unsigned = await fetch(`${a}${path}`, { method: "POST" });
    expect(unsigned.status).toBe(403);
    const wrongSecret = await fetch(`${a}${path}`, {
      method: "POST",
      headers: clusterHeaders("x".repeat(43), "POST", path),
    });
    expect(wrongSecret.status).toBe(403);
    // Signed for another path: not good for this one.
    const otherPath = await fetch(`${a}${path}`, {
      method: "POST",
      headers: clusterHeaders(readPlacement(cluster.placementFile).secret, "POST", "/_cluster/t/acme/thaw"),
    });
    expect(otherPath.status).toBe(403);
    const file = await fetch(`${a}/_cluster/t/acme/file`);
    expect(file.status).toBe(403);
    await nothingChanged();
  });
});
