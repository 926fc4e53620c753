/**
 * The layering rules, checked in CI by `npm run check:layers` (scripts/check-layers.ts runs
 * dependency-cruiser over the code as Bun runs it: type-only imports are gone, so a view may
 * import a record's type from src/ but not its services). Read top to bottom, they are the
 * layers of docs/architecture.md, lowest first:
 *
 *   src/core        the vocabulary every layer shares (errors, validation, config, money, time)
 *   src/identity    who acts: roles, viewer, actor
 *   src/tenancy     the catalog and the tenants' files
 *   capabilities    src/<capability>/: services (plain functions of shard, actor, input) and,
 *                   in files named for it, their web side (routes, middleware, view props)
 *   src/http        the HTTP kernel the web side of every capability uses
 *   views/          props in, HTML out
 *   src/app         the composition root; only the command line starts it
 *
 * Folders that import each other are refused by scripts/check-layers.ts, except the pairs it
 * lists with their reasons. Tests are outside the rules: they may reach anything they check.
 */

const { WEB_FILE } = require("./scripts/layers/web-files.cjs");

const TEST = "\\.test\\.ts$|^test/";

module.exports = {
  forbidden: [
    {
      name: "only-the-cli-starts-the-app",
      comment:
        "src/app is the composition root: it imports every capability to assemble the server. Nothing but the command line may import it, or the layers fold back on themselves.",
      severity: "error",
      from: { path: "^src/", pathNot: `^src/(app|cli)/|^src/cli\\.ts$|${TEST}` },
      to: { path: "^src/app/" },
    },
    {
      name: "core-is-the-base",
      comment: "src/core is what every layer stands on; it knows no capability, no HTTP and no views.",
      severity: "error",
      from: { path: "^src/core/", pathNot: TEST },
      to: { path: "^(src/(?!core/)|views/)|(^|/)node_modules/hono/" },
    },
    {
      name: "identity-on-core-only",
      comment: "Who acts (roles, viewer, actor) is used by every capability, so it may use only src/core.",
      severity: "error",
      from: { path: "^src/identity/", pathNot: TEST },
      to: { path: "^(src/(?!core/|identity/)|views/)" },
    },
    {
      name: "tenancy-below-capabilities",
      comment: "The catalog and the shard manager serve every capability; they know none of them.",
      severity: "error",
      from: { path: "^src/tenancy/", pathNot: TEST },
      to: { path: "^(src/(?!core/|identity/|tenancy/)|views/)" },
    },
    {
      name: "kernel-imports-no-capability",
      comment:
        "src/http is imported by the web side of every capability, so it may not import a capability itself (what it needs from one, like the due-task count, the composition root hands it in AppDeps).",
      severity: "error",
      from: { path: "^src/http/", pathNot: TEST },
      to: { path: "^src/(?!core/|identity/|tenancy/|http/)" },
    },
    {
      name: "views-take-types-from-src",
      comment:
        "Views are props in, HTML out: from src/ they take only types (record shapes, erased at run time) and src/core's pure helpers (money, record paths), never a service.",
      severity: "error",
      from: { path: "^views/", pathNot: TEST },
      to: { path: "^src/(?!core/)" },
    },
    {
      name: "only-web-files-import-views",
      comment:
        "Services and domain code never render: only route files, middleware, view-props builders, the HTTP kernel and the composition root import views/.",
      severity: "error",
      from: { path: "^src/", pathNot: `${WEB_FILE}|^src/(http|app)/|${TEST}` },
      to: { path: "^views/" },
    },
    {
      name: "only-web-files-import-hono",
      comment:
        "Services are plain functions of (shard, actor, input) so a worker task or a batch job can call them: they import no hono.",
      severity: "error",
      from: { path: "^src/", pathNot: `${WEB_FILE}|^src/(http|app|cli)/|${TEST}` },
      to: { path: "(^|/)node_modules/hono/" },
    },
    {
      name: "services-do-not-call-the-web",
      comment:
        "The web side sits on top of the services, never under them: a service imports no route, middleware, props or page file, and not the HTTP kernel.",
      severity: "error",
      from: { path: "^src/", pathNot: `${WEB_FILE}|^src/(http|app|cli)/|^src/cli\\.ts$|${TEST}` },
      to: { path: `${WEB_FILE}|^src/http/` },
    },
    {
      name: "worker-tasks-are-plain",
      comment:
        "A worker task (*.worker.ts) runs in a pool thread: it opens the tenant's file itself and imports neither hono nor views.",
      severity: "error",
      from: { path: "\\.worker\\.ts$" },
      to: { path: `^(views/|src/http/|src/app/)|(^|/)node_modules/hono/|${WEB_FILE}` },
    },
    {
      name: "jobs-read-only-tenancy-and-the-log",
      comment:
        "Batch jobs (jobs/) run outside the server: they use the tenants' files and the interaction kinds, nothing of the web.",
      severity: "error",
      from: { path: "^jobs/" },
      to: { path: "^(src/(?!tenancy/|core/|interactions/kinds\\.ts)|views/)|(^|/)node_modules/hono/" },
    },
    {
      name: "no-file-cycles",
      comment:
        "Two files that import each other (through any chain) cannot be understood or moved one at a time.",
      severity: "error",
      from: { pathNot: TEST },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|data|migrations|docs|\\.ci)/" },
    // The files checked are Bun's own transpiled output (plain JavaScript): see scripts/check-layers.ts.
    parser: "swc",
    enhancedResolveOptions: {
      extensions: [".ts", ".tsx", ".js", ".json"],
      conditionNames: ["import", "require", "node", "default", "types"],
    },
  },
};
