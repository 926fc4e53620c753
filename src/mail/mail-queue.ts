import { createTransport, type Transporter } from "nodemailer";
import type { Config } from "../core/config.ts";
import { errorFields, type Logger } from "../core/logger.ts";
import type { MailContext, MailMessage } from "./mail-message.ts";

/** Mails waiting to be sent or retried, at most: past it a new one is dropped and logged, never held in memory unbounded. */
const MAX_PENDING = 1000;

/** Mails handed to the SMTP server at once. */
const MAX_SENDING = 4;

interface Job {
  message: MailMessage;
  context: MailContext;
  attempt: number;
}

/** What sends one mail; nodemailer's SMTP transport on a server. */
export type SendMail = (message: MailMessage & { from: string }) => Promise<unknown>;

export interface MailQueueOptions {
  from: string;
  send: SendMail;
  logger: Logger;
  attempts: number;
  retryMs: number;
}

/**
 * Sends mail off the request path: `enqueue` returns at once, the mail goes out on the event
 * loop, and a failure is logged and tried again after a wait that doubles (retryMs, 2×, 4×…)
 * until `attempts` are spent, then logged as not sent. What the person did (an invitation, a
 * reset request) is already committed and never depends on the mail.
 *
 * Pending mail lives in this process's memory, not in the workspace's file: a reset link must
 * exist in plain text only inside the mail, so a restart drops what was still waiting (logged).
 */
export class MailQueue {
  private pending = 0;
  private sending = 0;
  private readonly ready: Job[] = [];
  private readonly timers = new Set<Timer>();
  private stopped = false;

  constructor(private readonly options: MailQueueOptions) {}

  /** Queues a mail; never throws and never waits for the SMTP server. */
  enqueue(message: MailMessage, context: MailContext): void {
    if (this.stopped) return;
    if (this.pending >= MAX_PENDING) {
      this.options.logger.error("mail not sent: queue full", { ...context, pending: this.pending });
      return;
    }
    this.pending++;
    this.ready.push({ message, context, attempt: 1 });
    this.pump();
  }

  /** Mails queued, being sent or waiting for a retry. */
  get size(): number {
    return this.pending;
  }

  /** Starts the next ready mails, MAX_SENDING at a time: a burst of invitations opens a few connections, not hundreds. */
  private pump(): void {
    while (!this.stopped && this.sending < MAX_SENDING && this.ready.length > 0) {
      const job = this.ready.shift() as Job;
      this.sending++;
      void this.attempt(job).finally(() => {
        this.sending--;
        this.pump();
      });
    }
  }

  private async attempt(job: Job): Promise<void> {
    const { logger, attempts, retryMs, from } = this.options;
    const { context, attempt } = job;
    try {
      await this.options.send({ ...job.message, from });
      this.pending--;
      logger.info("mail sent", { ...context, attempt });
    } catch (error) {
      if (this.stopped) return;
      if (attempt >= attempts) {
        this.pending--;
        logger.error("mail not sent", { ...context, attempts: attempt, ...errorFields(error) });
        return;
      }
      const waitMs = retryMs * 2 ** (attempt - 1);
      logger.warn("mail send failed; will retry", {
        ...context,
        attempt,
        retryInSeconds: waitMs / 1000,
        ...errorFields(error),
      });
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.ready.push({ ...job, attempt: attempt + 1 });
        this.pump();
      }, waitMs);
      this.timers.add(timer);
    }
  }

  /** At shutdown: no more tries; what was still waiting is logged as dropped. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    if (this.pending > 0) this.options.logger.warn("mail dropped at shutdown", { pending: this.pending });
  }
}

/** Timeouts short enough that a dead server fails a try in seconds, not nodemailer's minutes. */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

/** The server's mail queue over CRM_SMTP_URL, or undefined when mail is off. */
export function mailQueueFor(config: Config, logger: Logger): MailQueue | undefined {
  if (!config.smtpUrl || !config.mailFrom) return undefined;
  const transport: Transporter = createTransport({ url: config.smtpUrl, ...SMTP_TIMEOUTS });
  return new MailQueue({
    from: config.mailFrom,
    send: (message) => transport.sendMail(message),
    logger,
    attempts: config.mailAttempts,
    retryMs: config.mailRetrySeconds * 1000,
  });
}
