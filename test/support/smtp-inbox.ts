import { SMTPServer } from "smtp-server";

/** One message as the SMTP server received it, and its parts decoded. */
export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  subject: string;
  text: string;
  html: string;
}

function decodePart(body: string, encoding: string): string {
  if (/base64/i.test(encoding)) return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  if (/quoted-printable/i.test(encoding)) {
    const bytes = body
      .replace(/=\r?\n/g, "")
      .replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
    return Buffer.from(bytes, "latin1").toString("utf8");
  }
  return body;
}

/** A header's RFC 2047 encoded words (=?UTF-8?Q?…?= / =?UTF-8?B?…?=) as text. */
function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, "?==?")
    .replace(/=\?UTF-8\?([QB])\?([^?]*)\?=/gi, (_, kind: string, text: string) =>
      kind.toUpperCase() === "B"
        ? Buffer.from(text, "base64").toString("utf8")
        : decodePart(text.replace(/_/g, " "), "quoted-printable"),
    );
}

/** Splits a raw message's headers from its body and finds one header (unfolded). */
function header(block: string, name: string): string {
  const unfolded = block.replace(/\r?\n[ \t]+/g, " ");
  return new RegExp(`^${name}:\\s*(.*)$`, "im").exec(unfolded)?.[1]?.trim() ?? "";
}

function splitHead(raw: string): { head: string; body: string } {
  const at = raw.search(/\r?\n\r?\n/);
  return at < 0
    ? { head: raw, body: "" }
    : { head: raw.slice(0, at), body: raw.slice(at).replace(/^\r?\n\r?\n/, "") };
}

/** The text/plain and text/html parts of a (multipart/alternative) message, decoded. */
function parts(raw: string): { text: string; html: string } {
  const { head, body } = splitHead(raw);
  const boundary = /boundary="?([^";]+)"?/i.exec(header(head, "Content-Type"))?.[1];
  const found = { text: "", html: "" };
  const chunks = boundary ? body.split(`--${boundary}`).slice(1, -1) : [raw];
  for (const chunk of chunks) {
    const part = splitHead(chunk.replace(/^\r?\n/, ""));
    const type = header(part.head, "Content-Type");
    const decoded = decodePart(part.body, header(part.head, "Content-Transfer-Encoding"));
    if (/text\/plain/i.test(type)) found.text = decoded;
    if (/text\/html/i.test(type)) found.html = decoded;
  }
  return found;
}

/**
 * A real SMTP server (the smtp-server package) on a local port that keeps every message it
 * receives, for tests of what the app mails. No TLS and no required login: the app's transport
 * speaks plain SMTP to it. `close()` and `listen()` again on the same port play a server that
 * goes down and comes back.
 */
export class SmtpInbox {
  readonly messages: ReceivedMail[] = [];
  /** Connections open now, and the most ever open at once. */
  open = 0;
  mostOpen = 0;
  private server: SMTPServer | undefined;
  private waiters: { predicate: (m: ReceivedMail) => boolean; resolve: (m: ReceivedMail) => void }[] = [];
  port = 0;

  private make(): SMTPServer {
    return new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS", "AUTH"],
      logger: false,
      onConnect: (_session, callback) => {
        this.open++;
        this.mostOpen = Math.max(this.mostOpen, this.open);
        callback();
      },
      onClose: () => {
        this.open--;
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("end", () => {
          const raw = Buffer.concat(chunks).toString("utf8");
          const { head } = splitHead(raw);
          const mail: ReceivedMail = {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            to: session.envelope.rcptTo.map((r) => r.address),
            raw,
            subject: decodeWords(header(head, "Subject")),
            ...parts(raw),
          };
          this.messages.push(mail);
          for (const waiter of [...this.waiters])
            if (waiter.predicate(mail)) {
              this.waiters.splice(this.waiters.indexOf(waiter), 1);
              waiter.resolve(mail);
            }
          callback();
        });
      },
    });
  }

  /** Starts listening (on a free port the first time, on the same port after close()). */
  listen(): Promise<number> {
    const server = this.make();
    this.server = server;
    return new Promise((resolve, reject) => {
      server.server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => {
        const address = server.server.address();
        this.port = typeof address === "object" && address ? address.port : this.port;
        resolve(this.port);
      });
    });
  }

  close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  /** The messages sent to `address` so far. */
  to(address: string): ReceivedMail[] {
    return this.messages.filter((m) => m.to.includes(address));
  }

  /** The `nth` message (1: the first) to `address`, once it has arrived. */
  waitFor(address: string, nth = 1, timeoutMs = 15_000): Promise<ReceivedMail> {
    const got = this.to(address)[nth - 1];
    if (got) return Promise.resolve(got);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no mail #${nth} to ${address} in ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push({
        predicate: (m) => m.to.includes(address) && this.to(address).length >= nth,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }
}

/** The first link in a mail's text that starts with `prefix`. */
export function linkIn(mail: ReceivedMail, prefix: string): string {
  const escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const link = new RegExp(`${escaped}\\S+`).exec(mail.text)?.[0];
  if (!link) throw new Error(`no link starting ${prefix} in:\n${mail.text}`);
  return link;
}
