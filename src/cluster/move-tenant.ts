import {
  call,
  expectOk,
  FREEZE_MS,
  hostOrRefuse,
  journalOrRefuse,
  loadPlacement,
  MoveError,
  TRANSFER_MS,
} from "./move-hosts.ts";
import {
  closeJournal,
  journalPath,
  type MoveJournal,
  type MoveStep,
  nextStep,
  writeJournal,
} from "./move-journal.ts";
import type { HostedTenant } from "./move-source.ts";
import { type ClusterHost, ownerOf, type Placement, rendezvousOwner } from "./placement.ts";
import { updatePlacement } from "./placement-file.ts";

export interface MoveOptions {
  dataDir: string;
  clusterFile: string;
  slug: string;
  /** The destination host's name. */
  to: string;
  /** A shell command run after the flip (e.g. `sudo systemctl reload nginx`). */
  nginxReload?: string;
  /** Stop once this step is done (the journal kept; the same command resumes). */
  until?: MoveStep;
  /** Each line of progress for the operator. */
  say: (line: string) => void;
}

export interface MoveReport {
  slug: string;
  tenantId: string;
  from: string;
  to: string;
  finished: boolean;
  totalMs: number;
  /** Since the move's journal was opened: more than totalMs when this run resumed it. */
  sinceStartMs: number;
  /** Whether this run went on with a move an earlier run began. */
  resumed: boolean;
  /** From asking the freeze to the placement flip, and to the destination taking writes. */
  freezeToFlipMs?: number;
  frozenMs?: number;
  copyBytes?: number;
  catchUpBytes?: number;
}

const mb = (bytes: number | undefined) => `${((bytes ?? 0) / 1_048_576).toFixed(1)} MB`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Checks a new move before anything changes: where the workspace is, that the destination answers and lacks it. */
async function startJournal(
  options: MoveOptions,
  placement: Placement,
  to: ClusterHost,
): Promise<MoveJournal> {
  const { slug } = options;
  const from = ownerOf(placement, slug);
  if (!from) throw new MoveError("placement lists no hosts", 2);
  const source = await call<HostedTenant>(from, placement.secret, "GET", `/_cluster/t/${slug}`);
  if (source.status === 404) throw new MoveError(`no workspace "${slug}" on ${from.name}, its owner`, 1);
  if (source.status !== 200)
    throw new MoveError(`host ${from.name} answered ${source.status}: ${JSON.stringify(source.body)}`, 1);
  if (from.name === to.name) throw new MoveError(`${slug} is already on ${to.name}`, 2);
  if (source.body.frozenSince !== null)
    throw new MoveError(
      `${slug} is frozen on ${from.name} (since ${new Date(source.body.frozenSince).toISOString()}) but no move of it is recorded here: resume or roll back that move where it was started`,
      1,
    );
  const destination = await call(to, placement.secret, "GET", `/_cluster/t/${slug}`);
  if (destination.status === 200) throw new MoveError(`${to.name} already has a workspace "${slug}"`, 1);
  if (destination.status !== 404)
    throw new MoveError(
      `host ${to.name} answered ${destination.status}: ${JSON.stringify(destination.body)}`,
      1,
    );
  const journal: MoveJournal = {
    slug,
    tenantId: source.body.id,
    from: from.name,
    to: to.name,
    done: [],
    startedAt: Date.now(),
    pid: process.pid,
  };
  writeJournal(options.dataDir, journal);
  options.say(
    `moving ${slug} (${mb(source.body.bytes)}) from ${from.name} to ${to.name}; journal ${journalPath(options.dataDir, slug)}`,
  );
  return journal;
}

/** Points placement at `to` for `slug`: an override, or none when rendezvous hashing already says `to`. */
function flipPlacement(clusterFile: string, slug: string, to: string): void {
  // Under the placement's lock, from the file as it is then: a `place` meanwhile is kept.
  updatePlacement(clusterFile, (placement) => {
    const overrides = { ...placement.overrides };
    if (rendezvousOwner(slug, placement.hosts)?.name === to) delete overrides[slug];
    else overrides[slug] = to;
    return { ...placement, overrides };
  });
}

async function runReload(command: string, say: (line: string) => void): Promise<void> {
  const proc = Bun.spawn(["sh", "-c", command], { stdout: "inherit", stderr: "inherit" });
  const code = await proc.exited;
  // Not fatal: until nginx reloads, the old host re-sends the workspace's requests to its owner.
  if (code !== 0)
    say(`warning: the reload command exited ${code}; reload nginx by hand (crm cluster nginx-config)`);
  else say(`reloaded nginx (${command})`);
}

/**
 * `crm cluster move`: moves a workspace to another host, or resumes the move its journal
 * records. Each step is written to the journal once done, so a kill at any point leaves a move
 * that the same command resumes (or --rollback undoes). A kill after the freeze leaves the
 * workspace's writes refused (503) until then: the command's output says so at that step.
 */
export async function moveTenant(options: MoveOptions): Promise<MoveReport> {
  const started = Date.now();
  const { slug, say, dataDir } = options;
  const placement = loadPlacement(options.clusterFile);
  const to = hostOrRefuse(placement, options.to);
  let journal = journalOrRefuse(dataDir, slug);
  if (journal) {
    if (journal.to !== to.name)
      throw new MoveError(
        `a move of ${slug} to ${journal.to} is in progress: resume it with --to ${journal.to}, or undo it with --rollback`,
        2,
      );
    if (journal.pid !== process.pid && pidAlive(journal.pid))
      throw new MoveError(`another crm cluster move (pid ${journal.pid}) is moving ${slug}`, 1);
    journal.pid = process.pid;
    writeJournal(dataDir, journal);
    say(
      `resuming the move of ${slug} from ${journal.from} to ${journal.to} at step ${nextStep(journal) ?? "done"}`,
    );
  } else journal = await startJournal(options, placement, to);
  const from = hostOrRefuse(placement, journal.from);
  const secret = placement.secret;
  const current = journal;
  const done = (step: MoveStep) => {
    current.done.push(step);
    writeJournal(dataDir, current);
  };
  if (options.until && current.done.includes(options.until) && nextStep(current)) {
    say(`already past ${options.until}; run the command without --until to go on`);
    return report(current, started, false);
  }
  for (let step = nextStep(current); step; step = nextStep(current)) {
    const stepStarted = Date.now();
    switch (step) {
      case "copy": {
        const copied = await expectOk<{ bytes: number }>(
          to,
          secret,
          "POST",
          `/_cluster/moves/${slug}/copy?from=${from.name}`,
          TRANSFER_MS,
        );
        current.copyBytes = copied.bytes;
        done(step);
        say(`copied ${mb(copied.bytes)} to ${to.name} in ${seconds(Date.now() - stepStarted)}`);
        break;
      }
      case "freeze":
        current.frozenAt ??= Date.now();
        // Longer than the owner waits for another writer's lock (30 s) before it gives up.
        await expectOk(from, secret, "POST", `/_cluster/t/${slug}/freeze`, FREEZE_MS);
        done(step);
        say(
          `froze ${slug}'s writes on ${from.name} (they get 503 + Retry-After until the move ends; if this command stops now, run it again to resume, or with --rollback)`,
        );
        break;
      case "catch-up": {
        const caught = await expectOk<{
          diffBytes: number;
          pages: number;
          source?: string | null;
          applyMs?: number;
          checkMs?: number;
        }>(to, secret, "POST", `/_cluster/moves/${slug}/catch-up?from=${from.name}`, TRANSFER_MS);
        current.catchUpBytes = caught.diffBytes;
        done(step);
        say(
          `caught up: ${caught.pages} pages (${mb(caught.diffBytes)}) in ${seconds(Date.now() - stepStarted)} (${from.name}: ${caught.source ?? "?"}; ${to.name}: apply=${caught.applyMs ?? "?"};check=${caught.checkMs ?? "?"}); ${to.name} holds ${slug}, frozen`,
        );
        break;
      }
      case "flip":
        flipPlacement(options.clusterFile, slug, to.name);
        current.flippedAt = Date.now();
        done(step);
        say(`placement now sends ${slug} to ${to.name}`);
        break;
      case "thaw":
        await expectOk(to, secret, "POST", `/_cluster/t/${slug}/thaw`);
        current.thawedAt = Date.now();
        done(step);
        say(
          `${to.name} takes ${slug}'s writes: frozen ${seconds(current.thawedAt - (current.frozenAt ?? current.thawedAt))}`,
        );
        break;
      case "reload":
        // Say what happened to nginx either way: a silent step left the operator guessing.
        if (options.nginxReload) await runReload(options.nginxReload, say);
        else
          say(
            `nginx not reloaded (no --nginx-reload): until you reload it (crm cluster nginx-config, nginx -t, nginx -s reload), ${slug}'s requests it sends to ${from.name} are re-sent to ${to.name}`,
          );
        done(step);
        break;
      case "retire": {
        const retired = await expectOk<{ retiredAs: string | null }>(
          from,
          secret,
          "POST",
          `/_cluster/t/${slug}/retire?tenant=${current.tenantId}`,
        );
        done(step);
        say(
          `retired ${slug} on ${from.name}${retired.retiredAs ? `: its file is kept at ${retired.retiredAs}` : ""}`,
        );
        break;
      }
    }
    if (step === options.until && nextStep(current)) {
      say(`stopped after ${step} (--until); run the same command to go on, or with --rollback to undo`);
      return report(current, started, false);
    }
  }
  closeJournal(dataDir, current, "moved");
  return report(current, started, true);
}

export function report(journal: MoveJournal, started: number, finished: boolean): MoveReport {
  const { frozenAt, flippedAt, thawedAt } = journal;
  return {
    slug: journal.slug,
    tenantId: journal.tenantId,
    from: journal.from,
    to: journal.to,
    finished,
    totalMs: Date.now() - started,
    sinceStartMs: Date.now() - journal.startedAt,
    resumed: journal.startedAt < started,
    freezeToFlipMs: frozenAt && flippedAt ? flippedAt - frozenAt : undefined,
    frozenMs: frozenAt && thawedAt ? thawedAt - frozenAt : undefined,
    copyBytes: journal.copyBytes,
    catchUpBytes: journal.catchUpBytes,
  };
}
