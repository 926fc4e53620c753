import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { answersHealth, askTenants, type TenantsAnswer } from "../cluster/host-tenants.ts";
import { nginxConfig } from "../cluster/nginx-config.ts";
import {
  HOST_NAME_PATTERN,
  hostNamed,
  ownerOf,
  type Placement,
  PlacementError,
  validatePlacement,
} from "../cluster/placement.ts";
import {
  newPlacement,
  PlacementChangedError,
  readPlacement,
  savePlacement,
} from "../cluster/placement-file.ts";
import { type Config, loadConfig } from "../core/config.ts";
import { writeFileDurably } from "../core/durable-file.ts";
import { EVENTS_MAX_BYTES } from "../events/event-limits.ts";
import { isValidSlug } from "../tenancy/slug.ts";
import { type Command, DATA_HELP, UsageError } from "./command.ts";

const CLUSTER_OPTION = { cluster: { type: "string" } } as const;
const CLUSTER_HELP =
  "  --cluster FILE   the placement file (default: $CRM_CLUSTER_FILE or <data>/cluster.json)";

function configOf(values: Record<string, string | boolean | undefined>): Config {
  return loadConfig(process.env, {
    dataDir: values.data as string | undefined,
    clusterFile: values.cluster as string | undefined,
  });
}

/** The placement file named by the flags; a missing or broken one is the operator's to fix (exit 2). */
function placementOf(values: Record<string, string | boolean | undefined>): {
  file: string;
  placement: Placement;
} {
  const file = configOf(values).clusterFile as string;
  if (!existsSync(file))
    throw new UsageError(`no placement file at ${file} (start one: crm cluster hosts add)`);
  try {
    return { file, placement: readPlacement(file) };
  } catch (error) {
    throw new UsageError(`${file}: ${(error as Error).message}`);
  }
}

/**
 * Writes the next version of the placement, checked as the hosts will read it, unless another
 * command changed the file since it was read (then says so: undefined, the command exits 1).
 */
function save(
  command: string,
  file: string,
  next: Omit<Placement, "version">,
  previous: number,
): Placement | undefined {
  const placement = validatePlacement({ ...next, version: previous + 1 });
  try {
    savePlacement(file, placement);
  } catch (error) {
    if (!(error instanceof PlacementChangedError)) throw error;
    console.error(`crm cluster ${command}: ${error.message}`);
    return undefined;
  }
  return placement;
}

/** The answers' failures, one line each, or undefined when every host answered. */
function failures(answers: TenantsAnswer[]): string | undefined {
  const failed = answers.flatMap((a) =>
    "error" in a ? [`  ${a.host.name} (${a.host.url}): ${a.error}`] : [],
  );
  return failed.length ? failed.join("\n") : undefined;
}

const hostsAdd: Command = {
  name: "cluster hosts add",
  summary: "add a host to the cluster (pins existing tenants where they are)",
  help: `Usage: crm cluster hosts add <name> <url> [--cluster FILE] [--data DIR]

Adds a host to the placement file (creating the file, with a fresh secret, if there is none).
Every existing host is asked first which tenants it holds, and each tenant the new host would
take by rendezvous hashing is pinned (an override) to the host that holds it: adding a host
never silently re-homes data (move tenants with crm cluster move). If any host does not answer,
nothing is changed (exit 1). Then write the nginx config again and reload it.

  <name>           lower-case letters, digits and dashes (the nginx upstream is crm_<name>)
  <url>            where the front and the other hosts reach it: http(s)://address:port
${CLUSTER_HELP}
${DATA_HELP}`,
  options: CLUSTER_OPTION,
  positionals: 2,
  async run(values, [name, url]) {
    const file = configOf(values).clusterFile as string;
    const { placement } = existsSync(file)
      ? placementOf(values)
      : { placement: { ...newPlacement(), version: 0 } as Placement };
    if (!HOST_NAME_PATTERN.test(name as string))
      throw new UsageError(
        `host name "${name}": use 1–32 lower-case letters, digits and dashes, starting with a letter`,
      );
    if (hostNamed(placement, name as string)) throw new UsageError(`host ${name} is already in ${file}`);
    if (!/^https?:\/\/[^/?#\s]+\/?$/.test(url as string))
      throw new UsageError(`url "${url}": use http(s)://address:port, with no path`);
    const sameUrl = placement.hosts.find((h) => h.url === (url as string).replace(/\/+$/, ""));
    if (sameUrl) throw new UsageError(`host ${sameUrl.name} is already at ${sameUrl.url}`);
    const answers = await askTenants(placement, placement.hosts);
    const failed = failures(answers);
    if (failed) {
      console.error(
        `crm cluster hosts add: not every host answered, so the tenants that ${name} would take cannot be pinned; nothing changed:\n${failed}`,
      );
      return 1;
    }
    const hosts = [...placement.hosts, { name: name as string, url: (url as string).replace(/\/+$/, "") }];
    const overrides = { ...placement.overrides };
    const pinned: string[] = [];
    for (const answer of answers) {
      if (!("tenants" in answer)) continue;
      for (const slug of answer.tenants) {
        if (ownerOf({ ...placement, hosts, overrides }, slug)?.name === answer.host.name) continue;
        overrides[slug] = answer.host.name;
        pinned.push(`${slug} → ${answer.host.name}`);
      }
    }
    let saved: Placement | undefined;
    try {
      saved = save("hosts add", file, { secret: placement.secret, hosts, overrides }, placement.version);
    } catch (error) {
      if (error instanceof PlacementError) throw new UsageError(error.message);
      throw error;
    }
    if (!saved) return 1;
    console.log(`added host ${name} (${url}) to ${file}: version ${saved.version}, ${hosts.length} host(s)`);
    if (pinned.length) console.log(`pinned ${pinned.length} tenant(s) where they are: ${pinned.join(", ")}`);
    // The new host serves nothing until its server runs under its name: say so before nginx.
    console.log(
      `next: start ${name}'s server (crm serve with CRM_HOST_NAME=${name}, CRM_CLUSTER_FILE=${file} and CRM_TRUST_PROXY=1 on the host at ${url}; until it answers, sign-ups that hash to it get 503), then crm cluster nginx-config --out FILE, nginx -t and nginx -s reload`,
    );
    return 0;
  },
};

const hostsRemove: Command = {
  name: "cluster hosts remove",
  summary: "remove a host that holds no tenant and has none placed on it",
  help: `Usage: crm cluster hosts remove <name> [--force] [--cluster FILE] [--data DIR]

Removes a host from the placement file. Refused (exit 1, naming them) while it holds a tenant
or any tenant the hosts hold is placed on it: move them first (crm cluster move). Every host
must answer.

  --force          the host itself is lost and cannot answer: remove it without asking it
                   (its tenants go to the others by hashing; restore them from backups and
                   pin them with crm cluster place)
${CLUSTER_HELP}
${DATA_HELP}`,
  options: { ...CLUSTER_OPTION, force: { type: "boolean" } },
  positionals: 1,
  async run(values, [name]) {
    const { file, placement } = placementOf(values);
    const host = hostNamed(placement, name as string);
    if (!host) throw new UsageError(`no host ${name} in ${file}`);
    const asked = values.force ? placement.hosts.filter((h) => h !== host) : placement.hosts;
    const answers = await askTenants(placement, asked);
    const failed = failures(answers);
    if (failed) {
      console.error(`crm cluster hosts remove: not every host answered; nothing changed:\n${failed}`);
      return 1;
    }
    const held = new Set<string>();
    for (const answer of answers) {
      if (!("tenants" in answer)) continue;
      for (const slug of answer.tenants)
        if (answer.host === host || ownerOf(placement, slug)?.name === host.name) held.add(slug);
    }
    for (const [slug, pinned] of Object.entries(placement.overrides))
      if (pinned === host.name) held.add(slug);
    if (held.size) {
      console.error(
        `crm cluster hosts remove: ${name} still holds or is given ${held.size} tenant(s); move them first: ${[...held].sort().join(", ")}`,
      );
      return 1;
    }
    const saved = save(
      "hosts remove",
      file,
      {
        secret: placement.secret,
        hosts: placement.hosts.filter((h) => h !== host),
        overrides: placement.overrides,
      },
      placement.version,
    );
    if (!saved) return 1;
    console.log(
      `removed host ${name} from ${file}: version ${saved.version}, ${saved.hosts.length} host(s) left`,
    );
    console.log("next: crm cluster nginx-config --out FILE, then nginx -t and nginx -s reload");
    return 0;
  },
};

const place: Command = {
  name: "cluster place",
  summary: "pin a tenant to a host (or --auto: back to hashing)",
  help: `Usage: crm cluster place <slug> <host> | crm cluster place <slug> --auto [--cluster FILE] [--data DIR]

Sets where placement sends a tenant: an override naming <host>, or with --auto none (rendezvous
hashing decides). This moves no data: it is for a tenant already on that host (restored from a
backup, say); crm cluster move copies one. The host it would then belong to is asked first, and
if it does not hold the tenant nothing changes (exit 1): its users would find it empty.

  --auto           drop the tenant's override
  --force          set it even so (a host that does not answer, a tenant not created yet)
${CLUSTER_HELP}
${DATA_HELP}`,
  options: { ...CLUSTER_OPTION, auto: { type: "boolean" }, force: { type: "boolean" } },
  positionals: 2,
  minPositionals: 1,
  async run(values, [slug, hostName]) {
    const { file, placement } = placementOf(values);
    if (!isValidSlug(slug as string)) throw new UsageError(`"${slug}" is not a workspace slug`);
    if (values.auto === (hostName !== undefined)) throw new UsageError("give either a host or --auto");
    const overrides = { ...placement.overrides };
    if (values.auto) delete overrides[slug as string];
    else if (!hostNamed(placement, hostName as string))
      throw new UsageError(`no host ${hostName} in ${file}`);
    else overrides[slug as string] = hostName as string;
    const next = { secret: placement.secret, hosts: placement.hosts, overrides };
    const target = ownerOf({ ...next, version: placement.version }, slug as string);
    if (target && !values.force) {
      const [answer] = await askTenants(placement, [target]);
      const problem =
        answer && "error" in answer
          ? `host ${target.name} did not answer (${answer.error})`
          : answer && !answer.tenants.includes(slug as string)
            ? `host ${target.name} does not hold ${slug}`
            : undefined;
      if (problem) {
        console.error(
          `crm cluster place: ${problem}; nothing changed (copy it there with crm cluster move, or --force)`,
        );
        return 1;
      }
    }
    const saved = save("place", file, next, placement.version);
    if (!saved) return 1;
    console.log(
      `${slug} → ${ownerOf(saved, slug as string)?.name ?? "no host"} (${values.auto ? "by hashing" : "pinned"}); ${file} version ${saved.version}`,
    );
    return 0;
  },
};

const show: Command = {
  name: "cluster show",
  summary: "the hosts, whether each answers, their tenant counts, the overrides",
  help: `Usage: crm cluster show [--json] [--cluster FILE] [--data DIR]

  --json           print it as JSON
${CLUSTER_HELP}
${DATA_HELP}`,
  options: { ...CLUSTER_OPTION, json: { type: "boolean" } },
  async run(values) {
    const { file, placement } = placementOf(values);
    const [health, answers] = await Promise.all([
      Promise.all(placement.hosts.map(answersHealth)),
      askTenants(placement, placement.hosts),
    ]);
    const hosts = placement.hosts.map((host, i) => {
      const answer = answers[i] as TenantsAnswer;
      return {
        name: host.name,
        url: host.url,
        healthy: health[i] as boolean,
        tenants: "tenants" in answer ? answer.tenants.length : null,
        ...("error" in answer ? { error: answer.error } : {}),
      };
    });
    if (values.json) {
      console.log(
        JSON.stringify({ file, version: placement.version, hosts, overrides: placement.overrides }, null, 2),
      );
      return 0;
    }
    console.log(`${file}: version ${placement.version}, ${hosts.length} host(s)`);
    for (const h of hosts)
      console.log(
        `  ${h.name.padEnd(16)} ${h.url.padEnd(28)} ${h.healthy ? "up  " : "DOWN"}  ${h.tenants === null ? `tenants unknown (${h.error})` : `${h.tenants} tenant(s)`}`,
      );
    const pins = Object.entries(placement.overrides);
    console.log(pins.length ? `overrides (${pins.length}):` : "no overrides");
    for (const [slug, host] of pins) console.log(`  ${slug} → ${host}`);
    return 0;
  },
};

const nginxConfigCommand: Command = {
  name: "cluster nginx-config",
  summary: "write the nginx config of the cluster's front",
  help: `Usage: crm cluster nginx-config [--listen HOST:PORT] [--out FILE] [--cluster FILE] [--data DIR]

Writes the front's nginx config: an upstream per host and one of all, a map from each tenant the
hosts report to its owner's upstream, the 421 re-send for tenants not in the map, 503 with
Retry-After when a host is down. Body limits come from this environment's CRM_BODY_LIMIT_BYTES and
CRM_IMPORT_MAX_BYTES (set them as the hosts have them). A host that does not answer is named on
stderr; its tenants then reach it through the re-send. Run nginx with -p DIR (pid, temp files
and error log go there, so any user can run it); reload with nginx -t … && nginx -s reload ….

  --listen HOST:PORT where the front listens (default: 8080)
  --out FILE       write the config there (default: standard output)
${CLUSTER_HELP}
${DATA_HELP}`,
  options: { ...CLUSTER_OPTION, listen: { type: "string" }, out: { type: "string" } },
  async run(values) {
    const config = configOf(values);
    const { file, placement } = placementOf(values);
    const listen = (values.listen as string | undefined) ?? "8080";
    if (!/^(?:(?:\d{1,3}\.){3}\d{1,3}:|\[[0-9a-f:]+\]:|[a-z0-9.-]+:)?\d{1,5}$/i.test(listen))
      throw new UsageError(`--listen must be PORT or HOST:PORT, got "${listen}"`);
    if (placement.hosts.length === 0)
      throw new UsageError(`${file} has no hosts yet (crm cluster hosts add)`);
    const answers = await askTenants(placement, placement.hosts);
    const failed = failures(answers);
    if (failed)
      console.error(`crm cluster nginx-config: these hosts' tenants are left out of the map:\n${failed}`);
    const text = nginxConfig(placement, {
      listen,
      bodyLimitBytes: config.bodyLimitBytes,
      importMaxBytes: config.importMaxBytes,
      eventsMaxBytes: EVENTS_MAX_BYTES,
      tenants: answers.flatMap((a) => ("tenants" in a ? a.tenants : [])),
      source: file,
    });
    if (values.out) {
      const out = values.out as string;
      mkdirSync(dirname(out), { recursive: true });
      // Whole or not at all: an nginx reload never reads half a config, even after a power cut.
      writeFileDurably(out, text);
      console.error(`wrote ${out} (placement version ${placement.version})`);
    } else process.stdout.write(text);
    return 0;
  },
};

export const CLUSTER_COMMANDS: Command[] = [hostsAdd, hostsRemove, place, show, nginxConfigCommand];
