import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { AppError, NotFoundError } from "../core/errors.ts";
import { exportKind, exportList, exportParams, listCsvChunks } from "../exports/export-list.ts";
import type { RecordKind } from "../records/record-kind.ts";
import { savedSegmentKind } from "../segments/segment-export.ts";
import type { Shard } from "../tenancy/shard.ts";
import { ShardManager } from "../tenancy/shard-manager.ts";
import { type Command, DATA_HELP, stringFlag, UsageError } from "./command.ts";
import { openData } from "./open-data.ts";
import { ProgressLine } from "./progress-line.ts";

/** `segment:<id>`: a saved segment's members. */
const SEGMENT = /^segment:([1-9]\d{0,15})$/;

/** What is exported: a list with its filters, or a saved segment's members (the contacts' columns). */
interface Source {
  kind: RecordKind;
  params: Record<string, unknown>;
  /** For the progress line and the last message: "contacts", "segment 3". */
  label: string;
}

/** The list (its name checked, its --filter parsed as on its page) or segment to export from `shard`. */
function sourceOf(shard: Shard, list: string, filter: string | undefined): Source {
  const segment = SEGMENT.exec(list);
  if (segment) {
    const id = Number(segment[1]);
    if (filter !== undefined)
      throw new UsageError("--filter applies to lists, not to a segment (its rules filter it)");
    try {
      return { kind: savedSegmentKind(shard, id), params: {}, label: `segment ${id}` };
    } catch (error) {
      if (error instanceof NotFoundError) throw new UsageError(`no segment ${id} in this workspace`);
      if (error instanceof AppError) throw new UsageError(`segment ${id}: ${error.message}`);
      throw error;
    }
  }
  let kind: RecordKind;
  try {
    kind = exportKind(list);
  } catch {
    throw new UsageError(`"${list}" is not contacts, companies, deals or segment:<id>`);
  }
  try {
    const params = exportParams(kind, Object.fromEntries(new URLSearchParams(filter ?? "")));
    // A custom field the workspace lacks, a tag or owner that does not parse: refused before a byte is written.
    kind.filter(shard, params);
    return { kind, params, label: kind.path };
  } catch (error) {
    if (error instanceof AppError) throw new UsageError(`--filter: ${error.message}`);
    throw error;
  }
}

/** Writes `chunks` to stdout as the reader takes them (constant memory); false if the reader went away. */
async function toStdout(chunks: Generator<string, number, undefined>): Promise<number | undefined> {
  const writer = Bun.stdout.writer();
  let step = chunks.next();
  try {
    while (!step.done) {
      writer.write(step.value);
      await writer.flush();
      step = chunks.next();
    }
    await writer.end();
    return step.value;
  } catch (error) {
    // The reader went away (`| head`): stop quietly, as other command-line tools do.
    if ((error as { code?: string }).code !== "EPIPE") throw error;
    chunks.return(0);
    return undefined;
  }
}

export const exportCommand: Command = {
  name: "export",
  summary: "write a workspace's contacts, companies, deals or a segment as CSV",
  help: `Usage: crm export --tenant <slug> contacts|companies|deals|segment:<id>
                  [--out FILE] [--filter QUERY] [--bom] [--data DIR]

Writes every record of the list that its filters match, or every member of a saved segment,
as CSV (RFC 4180, CRLF; a cell a spreadsheet would run as a formula, starting with = + - @,
a tab or a carriage return, starts with '): the same bytes as the list's or the segment's
"Export CSV" link, read from one snapshot of the workspace's file, which the server may be
using meanwhile. Memory stays flat whatever the size.

  --tenant <slug>  the workspace
  --out FILE       write to FILE (made as FILE.part, readable by you only, named FILE when
                   complete; FILE must not exist); without it the CSV goes to stdout
  --filter QUERY   a list's filters and sort as in its page's address, e.g. "tag=vip&ownerId=3"
                   or "q=acme&sort=name&order=asc"
  --bom            start with a byte-order mark, so Excel reads the file as UTF-8
${DATA_HELP}

Progress goes to stderr: a bar on a terminal, a line every few seconds otherwise.`,
  options: {
    tenant: { type: "string" },
    out: { type: "string" },
    filter: { type: "string" },
    bom: { type: "boolean" },
  },
  positionals: 1,
  async run(values, [list = ""]) {
    const slug = stringFlag(values, "tenant");
    const out = typeof values.out === "string" ? resolve(values.out) : undefined;
    if (out) {
      for (const path of [out, `${out}.part`])
        if (existsSync(path)) throw new UsageError(`${path} exists; choose another --out`);
      if (!existsSync(dirname(out))) throw new UsageError(`--out: no folder ${dirname(out)}`);
    }
    if (!SEGMENT.test(list) && !["contacts", "companies", "deals"].includes(list))
      throw new UsageError(`"${list}" is not contacts, companies, deals or segment:<id>`);
    const filter = typeof values.filter === "string" ? values.filter : undefined;
    const bom = values.bom === true;
    const data = openData(values);
    // Read-only: no migration, no write, whatever the server is doing with the file.
    const shards = new ShardManager({ dataDir: data.config.dataDir, maxOpen: 1, readonly: true });
    try {
      const tenant = data.tenant(slug);
      const result = await shards.use(tenant, async (shard) => {
        const source = sourceOf(shard, list, filter);
        const progress = new ProgressLine(`${slug} ${source.label}`, "rows");
        const onProgress = (rows: number, total: number) => progress.update(rows, total, rows === total);
        const options = { bom, onProgress };
        const rows = out
          ? exportList(shard, source.kind, source.params, out, options)
          : await toStdout(listCsvChunks(shard, source.kind, source.params, options));
        return { rows, progress, label: source.label };
      });
      if (result.rows !== undefined)
        result.progress.finish(
          `exported ${result.rows.toLocaleString("en-US")} rows of ${slug} ${result.label}${out ? ` to ${out}` : ""}`,
        );
      return 0;
    } finally {
      shards.closeAll();
      data.close();
    }
  },
};
