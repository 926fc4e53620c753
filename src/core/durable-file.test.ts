import { afterAll, describe, expect, it } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fsyncPath, writeFileDurably, writeNewFileDurably } from "./durable-file.ts";

const root = mkdtempSync(join(tmpdir(), "durable-file-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let folders = 0;
/** A fresh empty folder per test: what is in it afterwards is exactly what the write left. */
function folder(): string {
  const path = join(root, `t${++folders}`);
  mkdirSync(path);
  return path;
}

const modeOf = (path: string) => statSync(path).mode & 0o777;

/**
 * Runs one write in a child Bun process, after the shell's `setup` (a file size limit) and
 * under `under` (strace): what the system calls are, and how a real failure midway ends, cannot
 * be staged inside this process. Its output: "written", or the error's code when it throws.
 */
function inChild(
  { setup = "", under = "" }: { setup?: string; under?: string },
  call: "writeFileDurably" | "writeNewFileDurably",
  path: string,
  content: string,
  options: object,
) {
  const script = join(root, "child.ts");
  writeFileSync(
    script,
    `import { ${call} } from ${JSON.stringify(join(import.meta.dir, "durable-file.ts"))};
try {
  ${call}(${JSON.stringify(path)}, ${JSON.stringify(content)}, ${JSON.stringify(options)});
  console.log("written");
} catch (error) {
  console.log(error.code ?? error.message);
}`,
  );
  // A process ignoring SIGXFSZ gets EFBIG from a write past the limit instead of dying.
  const shell = `trap '' XFSZ; ${setup} exec ${under} "$0" "$1"`;
  const run = Bun.spawnSync(["sh", "-c", shell, process.execPath, script]);
  return run.stdout.toString().trim() || run.stderr.toString();
}

describe("writeFileDurably", () => {
  it("writes the content under its name, with the mode asked, and leaves no temporary file", () => {
    const dir = folder();
    writeFileDurably(join(dir, "secret.json"), '{"a":1}\n', { mode: 0o600 });
    writeFileDurably(join(dir, "plain.bin"), new Uint8Array([1, 2, 3]));
    expect(readFileSync(join(dir, "secret.json"), "utf8")).toBe('{"a":1}\n');
    expect(modeOf(join(dir, "secret.json"))).toBe(0o600);
    expect([...readFileSync(join(dir, "plain.bin"))]).toEqual([1, 2, 3]);
    expect(modeOf(join(dir, "plain.bin"))).toBe(0o666 & ~process.umask());
    expect(readdirSync(dir).sort()).toEqual(["plain.bin", "secret.json"]);
  });

  it("replaces a file already there whole, the new one with the mode asked", () => {
    const dir = folder();
    const path = join(dir, "placement.json");
    writeFileSync(path, "old and longer than the new one", { mode: 0o644 });
    writeFileDurably(path, "new", { mode: 0o600, syncFolder: false });
    expect(readFileSync(path, "utf8")).toBe("new");
    expect(modeOf(path)).toBe(0o600);
    expect(readdirSync(dir)).toEqual(["placement.json"]);
  });

  it("a write that fails midway (a file size limit: 4 KB of 100 KB written) leaves the old file intact and no temporary file", () => {
    const dir = folder();
    const path = join(dir, "manifest.json");
    writeFileSync(path, "the old manifest");
    // dash's ulimit -f counts 512-byte blocks: 8 is 4 KB. A partial write that went unnoticed
    // would rename a 4 KB file over the old one.
    expect(inChild({ setup: "ulimit -f 8;" }, "writeFileDurably", path, "x".repeat(100_000), {})).toBe(
      "EFBIG",
    );
    expect(readFileSync(path, "utf8")).toBe("the old manifest");
    expect(readdirSync(dir)).toEqual(["manifest.json"]);
  });

  it("a rename that fails (a folder of that name) throws and removes the temporary file", () => {
    const dir = folder();
    mkdirSync(join(dir, "taken", "inside"), { recursive: true });
    expect(() => writeFileDurably(join(dir, "taken"), "text")).toThrow();
    expect(readdirSync(dir)).toEqual(["taken"]);
    expect(readdirSync(join(dir, "taken"))).toEqual(["inside"]);
  });

  it("a folder that does not exist is refused (ENOENT), nothing written", () => {
    const dir = folder();
    expect(() => writeFileDurably(join(dir, "missing", "f"), "text")).toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("writeNewFileDurably", () => {
  it("creates the file with the mode asked and refuses one already there (EEXIST), leaving it intact", () => {
    const dir = folder();
    const path = join(dir, "warehouse.key");
    writeNewFileDurably(path, new Uint8Array(32).fill(7), { mode: 0o600 });
    expect([...readFileSync(path)]).toEqual(Array(32).fill(7));
    expect(modeOf(path)).toBe(0o600);
    expect(() => writeNewFileDurably(path, "another key", { mode: 0o600 })).toThrow(/EEXIST/);
    expect([...readFileSync(path)]).toEqual(Array(32).fill(7));
    expect(readdirSync(dir)).toEqual(["warehouse.key"]);
  });

  it("a write that fails midway removes the short file it created", () => {
    const dir = folder();
    const path = join(dir, "manifest.json.part");
    expect(inChild({ setup: "ulimit -f 8;" }, "writeNewFileDurably", path, "x".repeat(100_000), {})).toBe(
      "EFBIG",
    );
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("the order of the system calls (what a power cut may interrupt)", () => {
  /** The calls on `dir` and the files in it, from strace -y (descriptors shown with their paths). */
  function traced(call: "writeFileDurably" | "writeNewFileDurably", dir: string, options: object) {
    const log = join(root, `strace-${++folders}.log`);
    const under = `strace -f -y -qq -e trace=openat,write,fsync,rename,renameat,renameat2 -o '${log}'`;
    expect(inChild({ under }, call, join(dir, "f"), "content", options)).toBe("written");
    const inDir = new RegExp(`${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}[^">]*`, "g");
    return readFileSync(log, "utf8")
      .split("\n")
      .filter((line) => line.includes(dir) && !line.includes("ENOENT"))
      .map((line) => {
        // "fsync(5</tmp/…/f.123.0.tmp>) = 0" → "fsync DIR/f.TMP"; an openat keeps the mode it creates with.
        const name = /^\d+\s+(\w+)\(/.exec(line)?.[1];
        const paths = [...new Set(line.match(inDir))].map((path) =>
          path.replace(dir, "DIR").replace(/\.\d+\.\d+\.tmp$/, ".TMP"),
        );
        const mode = /, (0\d+)\) = /.exec(line)?.[1];
        return [name, ...paths, mode].filter(Boolean).join(" ");
      });
  }

  it("writeFileDurably: the temporary file is written and fsynced before the rename, the folder fsynced after it", () => {
    const dir = folder();
    expect(traced("writeFileDurably", dir, { mode: 0o600 })).toEqual([
      "openat DIR/f.TMP 0600",
      "write DIR/f.TMP",
      "fsync DIR/f.TMP",
      "rename DIR/f.TMP DIR/f",
      "openat DIR",
      "fsync DIR",
    ]);
  });

  it("writeFileDurably with syncFolder: false stops at the rename", () => {
    const dir = folder();
    expect(traced("writeFileDurably", dir, { syncFolder: false }).at(-1)).toBe("rename DIR/f.TMP DIR/f");
  });

  it("writeNewFileDurably: the file is written and fsynced, then its folder", () => {
    const dir = folder();
    expect(traced("writeNewFileDurably", dir, {})).toEqual([
      "openat DIR/f 0666",
      "write DIR/f",
      "fsync DIR/f",
      "openat DIR",
      "fsync DIR",
    ]);
  });

  it("fsyncPath of a path that does not exist throws ENOENT", () => {
    expect(() => fsyncPath(join(root, "nowhere"))).toThrow(/ENOENT/);
  });
});
