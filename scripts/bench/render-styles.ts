/**
 * The three ways to write a view, measured on the same markup: 50 contact rows as the list
 * page shows them (checkbox, name link, mailto link, phone, title, company link, two tag
 * chips, owner, date, Edit/Delete), rendered to one string by
 *   hono/jsx      jsx() nodes turned into a string (what .tsx views compiled to);
 *   html tag      views/html.ts's escaping tagged template;
 *   hand-escaped  a plain template literal with escapeHtml on each text value (*.raw.ts).
 * The three outputs are checked to be the same bytes first. Prints the median µs per 50 rows
 * over the rounds, and each style as a ratio of the hand-escaped one measured in the same run.
 * ADR 0002 quotes these figures.
 *
 * Usage: bun scripts/bench/render-styles.ts [--rounds N] [--iterations N]
 */
import { parseArgs } from "node:util";
import { jsx } from "hono/jsx";
import { escapeHtml as e, type Html, html, join, trustedHtml } from "../../views/html.ts";
import { median } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "15" },
    iterations: { type: "string", default: "2000" },
  },
  strict: true,
});

interface Row {
  id: number;
  firstName: string;
  lastName: string;
  email: string | null;
  phone: string | null;
  title: string | null;
  companyId: number | null;
  companyName: string | null;
  tags: string[];
  ownerName: string | null;
  day: string;
}

const FIRST = ["Ada", "Bruno", "Chloé", "Dmitri", "Eve", "Farah", "Gus", "Hana", "Ivo", "Jo"];
const LAST = ["Lovelace", "Müller & Sons", "O<b>rien", "Ng", "Kowalski", "Said", "Park", "Diaz"];
const ROWS: Row[] = Array.from({ length: 50 }, (_, i) => ({
  id: 10_000 + i,
  firstName: FIRST[i % FIRST.length] as string,
  lastName: LAST[i % LAST.length] as string,
  email: i % 7 === 0 ? null : `person${i}@example.com`,
  phone: i % 3 === 0 ? null : `+1 555 01${String(i).padStart(2, "0")}`,
  title: i % 4 === 0 ? null : 'Head of "Operations"',
  companyId: i % 5 === 0 ? null : 200 + i,
  companyName: i % 5 === 0 ? null : `Company ${i} <Ltd>`,
  tags: i % 2 === 0 ? ["lead", "vip & co"] : ["customer"],
  ownerName: i % 6 === 0 ? null : "Sam Owner",
  day: "2026-06-15",
}));
const BASE = "/t/acme";
const NONCE = "bm9uY2U";

function jsxRow(c: Row) {
  const path = `${BASE}/contacts/${c.id}`;
  return jsx("tr", { id: `contact-${c.id}` }, [
    jsx(
      "td",
      { class: "select" },
      jsx("input", {
        type: "checkbox",
        name: "ids",
        value: String(c.id),
        form: "bulk-form",
        "aria-label": `Select ${c.firstName} ${c.lastName}`,
      }),
    ),
    jsx("td", {}, jsx("a", { href: path }, [c.firstName, " ", c.lastName])),
    jsx("td", {}, c.email ? jsx("a", { href: `mailto:${c.email}` }, c.email) : ""),
    jsx("td", { class: "nowrap" }, c.phone ?? ""),
    jsx("td", {}, c.title ?? ""),
    jsx(
      "td",
      {},
      c.companyId ? jsx("a", { href: `${BASE}/companies/${c.companyId}` }, c.companyName ?? "") : "",
    ),
    jsx(
      "td",
      {},
      c.tags.map((t) => jsx("a", { class: "tag", href: `${BASE}/contacts?tag=${encodeURIComponent(t)}` }, t)),
    ),
    jsx("td", {}, c.ownerName ?? ""),
    jsx("td", {}, jsx("time", { datetime: c.day }, c.day)),
    jsx(
      "td",
      {},
      jsx("span", { class: "actions" }, [
        jsx("a", { href: `${path}/edit`, "hx-get": `${path}/edit?fragment=row`, "hx-nonce": NONCE }, "Edit"),
        " ",
        jsx(
          "a",
          { href: `${path}/delete`, class: "danger", "hx-post": `${path}/delete`, "hx-nonce": NONCE },
          "Delete",
        ),
      ]),
    ),
  ]);
}

function tagRow(c: Row): Html {
  const path = `${BASE}/contacts/${c.id}`;
  return html`<tr id="contact-${c.id}"><td class="select"><input type="checkbox" name="ids" value="${c.id}" form="bulk-form" aria-label="Select ${c.firstName} ${c.lastName}"></td><td><a href="${path}">${c.firstName} ${c.lastName}</a></td><td>${
    c.email ? html`<a href="mailto:${c.email}">${c.email}</a>` : ""
  }</td><td class="nowrap">${c.phone ?? ""}</td><td>${c.title ?? ""}</td><td>${
    c.companyId ? html`<a href="${BASE}/companies/${c.companyId}">${c.companyName ?? ""}</a>` : ""
  }</td><td>${c.tags.map((t) => html`<a class="tag" href="${BASE}/contacts?tag=${encodeURIComponent(t)}">${t}</a>`)}</td><td>${
    c.ownerName ?? ""
  }</td><td><time datetime="${c.day}">${c.day}</time></td><td><span class="actions"><a href="${path}/edit" hx-get="${path}/edit?fragment=row" hx-nonce="${NONCE}">Edit</a> <a href="${path}/delete" class="danger" hx-post="${path}/delete" hx-nonce="${NONCE}">Delete</a></span></td></tr>`;
}

function rawRow(c: Row): string {
  const path = `${BASE}/contacts/${c.id}`;
  let tags = "";
  for (const t of c.tags)
    tags += `<a class="tag" href="${BASE}/contacts?tag=${e(encodeURIComponent(t))}">${e(t)}</a>`;
  return `<tr id="contact-${c.id}"><td class="select"><input type="checkbox" name="ids" value="${c.id}" form="bulk-form" aria-label="Select ${e(c.firstName)} ${e(c.lastName)}"></td><td><a href="${path}">${e(c.firstName)} ${e(c.lastName)}</a></td><td>${
    c.email ? `<a href="mailto:${e(c.email)}">${e(c.email)}</a>` : ""
  }</td><td class="nowrap">${c.phone ? e(c.phone) : ""}</td><td>${c.title ? e(c.title) : ""}</td><td>${
    c.companyId ? `<a href="${BASE}/companies/${c.companyId}">${e(c.companyName ?? "")}</a>` : ""
  }</td><td>${tags}</td><td>${c.ownerName ? e(c.ownerName) : ""}</td><td><time datetime="${c.day}">${c.day}</time></td><td><span class="actions"><a href="${path}/edit" hx-get="${path}/edit?fragment=row" hx-nonce="${NONCE}">Edit</a> <a href="${path}/delete" class="danger" hx-post="${path}/delete" hx-nonce="${NONCE}">Delete</a></span></td></tr>`;
}

const STYLES: [string, () => string][] = [
  ["hono/jsx", () => String(jsx("tbody", {}, ROWS.map(jsxRow)))],
  ["html tag", () => html`<tbody>${join(ROWS.map(tagRow))}</tbody>`.value],
  [
    "hand-escaped",
    () => {
      let out = "";
      for (const row of ROWS) out += rawRow(row);
      return trustedHtml(`<tbody>${out}</tbody>`).value;
    },
  ],
];

// hono/jsx closes void elements with "/>" and writes ' as &#39; (Bun.escapeHTML: &#x27;): the same
// HTML, so compare after evening those out.
const outputs = STYLES.map(([, render]) => render().replaceAll("/>", ">").replaceAll("&#39;", "&#x27;"));
for (const [i, out] of outputs.entries()) {
  const reference = outputs[2] as string;
  if (out === reference) continue;
  let at = 0;
  while (out[at] === reference[at]) at++;
  throw new Error(`${STYLES[i]?.[0]} renders different markup at ${at}: ${out.slice(at, at + 80)}`);
}

const rounds = Number(values.rounds);
const iterations = Number(values.iterations);
const samples = STYLES.map(() => [] as number[]);
let sink = 0;
for (let r = 0; r < rounds; r++) {
  // Interleaved, so drift on a shared machine affects the three alike.
  for (const [s, [, render]] of STYLES.entries()) {
    for (let i = 0; i < 200; i++) sink += render().length;
    const start = performance.now();
    for (let i = 0; i < iterations; i++) sink += render().length;
    samples[s]?.push(((performance.now() - start) * 1000) / iterations);
  }
}
const reference = median(samples[2] ?? []);
console.log(`50 contact rows (${outputs[2]?.length} bytes), median of ${rounds} rounds × ${iterations}:`);
for (const [s, [name]] of STYLES.entries()) {
  const us = median(samples[s] ?? []);
  console.log(
    `  ${name.padEnd(13)} ${us.toFixed(1).padStart(7)} µs   ${(us / reference).toFixed(1)}× hand-escaped`,
  );
}
// Using the sum keeps the renders from being optimised away.
if (sink === 0) throw new Error("nothing rendered");
console.log(`(bun scripts/bench/render-styles.ts, Bun ${Bun.version})`);
