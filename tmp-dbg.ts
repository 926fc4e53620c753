import { launchBrowser } from "./test/support/browser.ts";
import { startServer } from "./test/support/server.ts";
import { tempDir } from "./test/support/temp-dir.ts";
import { DataDir, PASSWORD } from "./test/support/workspace.ts";

const dir = tempDir();
const data = new DataDir(dir.path);
await data.tenant("dbg", "o@dbg.test");
const key = await data.apiKey("dbg");
const server = await startServer({ dataDir: dir.path });
await fetch(`${server.url}/api/v1/t/dbg/contacts`, {
  method: "POST",
  headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
  body: JSON.stringify({ firstName: "Del" }),
});
const browser = await launchBrowser();
const page = await browser.newPage();
page.on("console", (m) => console.log("console", m.type(), m.text()));
page.on("dialog", (d) => {
  console.log("dialog", d.message());
  d.accept();
});
page.on("request", (r) => console.log("req", r.method(), r.url()));
page.on("response", (r) => console.log("res", r.status(), r.url()));
await page.goto(`${server.url}/t/dbg/login`);
await page.fill("#login-email", "o@dbg.test");
await page.fill("#login-password", PASSWORD);
await Promise.all([page.waitForURL("**/contacts"), page.click("button[type=submit]")]);
await page.waitForTimeout(300);
console.log(await page.locator("#contact-rows tr td.actions").innerHTML());
await page.locator("#contact-rows tr >> text=Delete").click();
await page.waitForTimeout(1000);
console.log("rows", await page.locator("#contact-rows tr").count());
await browser.close();
await server.stop();
data.close();
dir.remove();
