/**
 * Benchmark reference (c) of issue 10: the contacts list page as a common Node stack serves it:
 * Express 5, EJS (escaping <%= %>) and SQLite in the process (libsql, better-sqlite3's API;
 * better-sqlite3 itself compiles SQLite from source when its prebuilt download is unreachable),
 * over the same workspace file the CRM serves. Each request checks the session cookie against
 * the file's sessions (as the CRM does), reads 50 contacts by keyset with their company and
 * owner, and renders them with the same columns, links and tag chips as the CRM's list.
 * With N processes, Node's cluster shares the port among N workers.
 *
 * Usage: node scripts/bench/express-reference/server.cjs <tenant file> <slug> [procs]  (prints its port)
 * Plain JavaScript run by Node (not Bun), so that the reference is the stack it names.
 */
const cluster = require("node:cluster");
const { createHash } = require("node:crypto");
const path = require("node:path");

const [file, slug, procsArg] = process.argv.slice(2);
const procs = Number(procsArg ?? 1);

if (cluster.isPrimary && procs > 1) {
  let port;
  for (let i = 0; i < procs; i++) cluster.fork({ REFERENCE_PORT: "0" });
  // Workers share the primary's listening socket: the first to listen names the port for all.
  cluster.on("listening", (_worker, address) => {
    if (port === undefined) {
      port = address.port;
      for (const id in cluster.workers) cluster.workers[id].send({ port });
    }
  });
  let listening = 0;
  cluster.on("message", (_worker, message) => {
    if (message === "listening" && ++listening === procs) console.log(port);
  });
  process.on("SIGTERM", () => {
    for (const id in cluster.workers) cluster.workers[id].kill();
    process.exit(0);
  });
} else {
  serve();
}

function serve() {
  const express = require("express");
  const Database = require("libsql");
  const db = new Database(file, { readonly: true });
  db.pragma("journal_mode = WAL");
  const session = db.prepare(
    `SELECT s.id, u.id AS userId, u.name, u.email, u.role FROM sessions s JOIN users u ON u.id = s.user_id
     WHERE s.id = ? AND s.expires_at > ?`,
  );
  const page = db.prepare(
    `SELECT c.id, c.first_name AS firstName, c.last_name AS lastName, c.email, c.phone, c.title,
            c.company_id AS companyId, co.name AS companyName, u.name AS ownerName, c.tags, c.created_at AS createdAt
     FROM contacts c LEFT JOIN companies co ON co.id = c.company_id LEFT JOIN users u ON u.id = c.owner_id
     WHERE (c.created_at, c.id) < (?, ?) ORDER BY c.created_at DESC, c.id DESC LIMIT 51`,
  );
  const app = express();
  app.set("view engine", "ejs");
  // As in production (NODE_ENV=production): templates compiled once, not at every render.
  app.set("view cache", true);
  app.set("views", __dirname);
  app.set("etag", false);
  app.set("x-powered-by", false);
  app.get(`/t/${slug}/contacts`, (req, res) => {
    const token = /(?:^|;\s*)crm_session=([^;]+)/.exec(req.headers.cookie ?? "")?.[1];
    const viewer = token && session.get(createHash("sha256").update(token).digest("hex"), Date.now());
    if (!viewer) return res.redirect(302, `/t/${slug}/login`);
    const [at, id] = String(req.query.cursor ?? "")
      .split(":")
      .map(Number);
    const rows = page.all(
      Number.isFinite(at) && at > 0 ? at : Number.MAX_SAFE_INTEGER,
      id || Number.MAX_SAFE_INTEGER,
    );
    const more = rows.length > 50;
    const contacts = rows.slice(0, 50);
    const last = contacts[contacts.length - 1];
    res.render("list", {
      base: `/t/${slug}`,
      viewer,
      contacts,
      next: more && last ? `${last.createdAt}:${last.id}` : undefined,
      day: (ms) => new Date(ms).toISOString().slice(0, 10),
    });
  });
  const server = app.listen(0, "127.0.0.1", () => {
    if (cluster.isWorker) process.send("listening");
    else console.log(server.address().port);
  });
}
void path;
