import {
  expectOk,
  hostOrRefuse,
  journalOrRefuse,
  loadPlacement,
  MoveError,
  TRANSFER_MS,
} from "./move-hosts.ts";
import { closeJournal, journalPath } from "./move-journal.ts";
import { type MoveOptions, type MoveReport, moveTenant, report } from "./move-tenant.ts";

/**
 * `crm cluster move --rollback`: before the flip, thaws the source and has the destination
 * discard its copy (and the workspace, if it was installed there, still frozen); after the
 * flip, the destination may already hold new writes, so the move is finished and the workspace
 * moved back.
 */
export async function rollbackMove(options: Omit<MoveOptions, "to">): Promise<MoveReport> {
  const { slug, say, dataDir } = options;
  const journal = journalOrRefuse(dataDir, slug);
  if (!journal)
    throw new MoveError(`no move of ${slug} is in progress here (no ${journalPath(dataDir, slug)})`, 1);
  if (journal.done.includes("flip")) {
    say(
      `${slug} already serves from ${journal.to}: finishing that move, then moving it back to ${journal.from}`,
    );
    await moveTenant({ ...options, to: journal.to, until: undefined });
    return moveTenant({ ...options, to: journal.from, until: undefined });
  }
  const started = Date.now();
  const placement = loadPlacement(options.clusterFile);
  const from = hostOrRefuse(placement, journal.from);
  const to = hostOrRefuse(placement, journal.to);
  // The owner first: its writes should not wait on the destination, which may be the host that failed.
  await expectOk(from, placement.secret, "POST", `/_cluster/t/${slug}/thaw`);
  say(`${from.name} takes ${slug}'s writes again`);
  await expectOk(
    to,
    placement.secret,
    "DELETE",
    `/_cluster/moves/${slug}?tenant=${journal.tenantId}`,
    TRANSFER_MS,
  ).catch((error: unknown) => {
    // Its copy is frozen and placement never named it: harmless until it answers again.
    throw new MoveError(
      `${(error as Error).message}\n${slug} is writable on ${from.name} again, but ${to.name} still has its copy: run this again once ${to.name} answers`,
      1,
    );
  });
  say(`${to.name} discarded its copy of ${slug}; the move is rolled back`);
  closeJournal(dataDir, journal, "rolled-back");
  return { ...report(journal, started, true), to: journal.from };
}
