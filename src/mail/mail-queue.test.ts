import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { SmtpInbox } from "../../test/support/smtp-inbox.ts";
import { loadConfig } from "../core/config.ts";
import { Logger } from "../core/logger.ts";
import { type MailQueue, mailQueueFor } from "./mail-queue.ts";

const inbox = new SmtpInbox();
const lines: Record<string, unknown>[] = [];
let queue: MailQueue;

beforeAll(async () => {
  const port = await inbox.listen();
  const logger = new Logger({
    write: (chunk) => {
      for (const line of chunk.trim().split("\n")) lines.push(JSON.parse(line));
    },
    flush: () => {},
  });
  const config = loadConfig({
    CRM_SMTP_URL: `smtp://127.0.0.1:${port}`,
    CRM_MAIL_FROM: "CRM <crm@queue.test>",
    CRM_PUBLIC_URL: "https://crm.queue.test",
  });
  queue = mailQueueFor(config, logger) as MailQueue;
});

afterAll(async () => {
  queue.stop();
  await inbox.close();
});

describe("the mail queue", () => {
  it("is off without CRM_SMTP_URL", () => {
    expect(mailQueueFor(loadConfig({}), new Logger())).toBeUndefined();
  });

  it("returns at once and sends a burst a few connections at a time, every mail arriving", async () => {
    const started = performance.now();
    for (let i = 0; i < 12; i++)
      queue.enqueue(
        { to: `person${i}@queue.test`, subject: `Hello ${i}`, text: `Mail ${i}`, html: `<p>Mail ${i}</p>` },
        { kind: "invitation", tenant: "queue-co" },
      );
    expect(performance.now() - started).toBeLessThan(1000);
    expect(queue.size).toBe(12);
    await Promise.all(Array.from({ length: 12 }, (_, i) => inbox.waitFor(`person${i}@queue.test`)));
    expect(inbox.mostOpen).toBeGreaterThan(0);
    expect(inbox.mostOpen).toBeLessThanOrEqual(4);
    for (let i = 0; i < 50 && queue.size > 0; i++) await Bun.sleep(10);
    expect(queue.size).toBe(0);
    const mail = inbox.to("person3@queue.test")[0];
    expect(mail?.from).toBe("crm@queue.test");
    expect(mail?.text).toContain("Mail 3");
    expect(mail?.html).toContain("<p>Mail 3</p>");
  });
});
