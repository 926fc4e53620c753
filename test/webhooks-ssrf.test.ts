import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { markWebhookWorkspace } from "../src/webhooks/webhook-workspaces.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { startReceiver } from "./support/webhook-receiver.ts";
import { api, DataDir } from "./support/workspace.ts";

// The operator's defaults: no private targets, no plain http. (test/webhooks.test.ts turns
// both on to use loopback receivers.)

let server: TestServer;
const dir = tempDir();
let data: DataDir;
let call: ReturnType<typeof api>;
const rx = startReceiver();

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant("ssrf-co");
  server = await startServer({
    dataDir: dir.path,
    env: {
      CRM_WEBHOOKS_POLL_MS: "50",
      CRM_WEBHOOKS_RETRY_SECONDS: "0.1,0.1",
      CRM_WEBHOOKS_TIMEOUT_MS: "1000",
    },
  });
  call = api(server.url, await data.apiKey("ssrf-co", "admin"));
});

afterAll(async () => {
  await server.stop();
  rx.stop();
  data.close();
  dir.remove();
});

const count = () =>
  data.shards.use(
    data.get("ssrf-co"),
    (s) => (s.statement("SELECT count(*) AS n FROM webhook_subscriptions").get() as { n: number }).n,
  );

const REFUSED_TARGETS = [
  `https://127.0.0.1:${rx.port}/`,
  "https://localhost/hooks",
  "https://[::1]/",
  "https://2130706433/",
  "https://0x7f.1/",
  "https://0177.0.0.1/",
  "https://127.1/",
  "https://%31%32%37.0.0.1/",
  "https://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ/",
  "https://0/",
  "https://[::]/",
  "https://[0:0:0:0:0:ffff:7f00:1]/",
  "https://0.0.0.0/",
  "https://10.0.0.1/",
  "https://172.16.5.4/",
  "https://192.168.0.10/",
  "https://100.64.1.1/",
  "https://169.254.169.254/latest/meta-data/",
  "https://169.254.10.1/",
  "https://[fd00:ec2::254]/",
  "https://[fe80::1]/",
  "https://[fc00::5]/",
  "https://[::ffff:127.0.0.1]/",
  "https://[::ffff:a9fe:a9fe]/",
  "https://[::ffff:10.0.0.1]/",
  "https://[64:ff9b::7f00:1]/",
  "https://224.0.0.1/",
  "https://[ff02::1]/",
];

describe("webhook targets (SSRF)", () => {
  it("refuses loopback, private, link-local, CGNAT, multicast and metadata targets on save, in every spelling", async () => {
    for (const url of REFUSED_TARGETS) {
      const answer = await call("POST", "/t/ssrf-co/webhooks", { url, events: ["*"] });
      expect({ url, status: answer.status }).toEqual({ url, status: 422 });
      expect(answer.headers.get("content-type")).toContain("application/problem+json");
      expect(answer.json.errors).toEqual([{ field: "url", message: expect.stringContaining("not allowed") }]);
    }
    expect(await count()).toBe(0);
  });

  it("refuses plain http and names that do not resolve unless the operator allows them", async () => {
    const http = await call("POST", "/t/ssrf-co/webhooks", { url: "http://93.184.215.14/x", events: ["*"] });
    expect(http.status).toBe(422);
    expect(http.json.errors).toEqual([{ field: "url", message: "must start with https://" }]);
    const nowhere = await call("POST", "/t/ssrf-co/webhooks", {
      url: "https://nowhere.invalid/x",
      events: ["*"],
    });
    expect(nowhere.status).toBe(422);
    expect(nowhere.json.errors[0].message).toContain("could not be resolved");
    expect(await count()).toBe(0);
  });

  it("refuses a private target at delivery time too (the name may resolve elsewhere by then) and never connects to it", async () => {
    // As if the name had answered a public address when saved and loopback now (DNS rebinding):
    // written straight into the file, since the API refuses it.
    const tenant = data.get("ssrf-co");
    const id = await data.shards.use(tenant, (s) => {
      const cursor = (s.statement("SELECT ifnull(max(id), 0) AS n FROM interactions").get() as { n: number })
        .n;
      return (
        s
          .statement(
            `INSERT INTO webhook_subscriptions (url, events, secret, enabled, cursor, created_at, updated_at)
             VALUES (?, '["*"]', 'whsec_test', 1, ?, 1, 1) RETURNING id`,
          )
          .get(`https://localhost:${rx.port}/rebound`, cursor) as { id: number }
      ).id;
    });
    markWebhookWorkspace(data.catalog, tenant.id, true);
    const made = await call("POST", "/t/ssrf-co/contacts", { firstName: "Target" });
    expect(made.status).toBe(201);
    let state = (await call("GET", `/t/ssrf-co/webhooks/${id}`)).json;
    for (let i = 0; i < 60 && state.enabled; i++) {
      await Bun.sleep(50);
      state = (await call("GET", `/t/ssrf-co/webhooks/${id}`)).json;
    }
    // Three attempts (two retries), each refused before connecting, then disabled.
    expect(state.enabled).toBe(false);
    const log = (await call("GET", `/t/ssrf-co/webhooks/${id}/deliveries`)).json.data;
    expect(log).toHaveLength(3);
    for (const attempt of log) {
      expect(attempt.ok).toBe(false);
      expect(attempt.statusCode).toBeNull();
      expect(attempt.error).toContain("refused");
      expect(attempt.error).toContain("loopback");
    }
    expect(rx.received).toHaveLength(0);
    // Re-enabling through the API checks the address again: still refused.
    const again = await call("PATCH", `/t/ssrf-co/webhooks/${id}`, { url: `https://localhost:${rx.port}/x` });
    expect(again.status).toBe(422);
  });
});
