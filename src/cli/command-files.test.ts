import { describe, expect, it } from "bun:test";
import { allCommands, COMMAND_FILES, findCommand } from "./command-files.ts";

describe("the command files", () => {
  it("list exactly the names of the commands each file defines, none twice", async () => {
    for (const file of COMMAND_FILES) expect((await file.load()).map((c) => c.name)).toEqual(file.names);
    const names = (await allCommands()).map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it("find a command by its first one, two or three words, the longer name first", async () => {
    expect((await findCommand(["analytics", "run", "--date", "2026-01-01"]))?.command.name).toBe(
      "analytics run",
    );
    expect((await findCommand(["analytics", "run", "--date", "2026-01-01"]))?.rest).toEqual([
      "--date",
      "2026-01-01",
    ]);
    expect((await findCommand(["analytics"]))?.command.name).toBe("analytics");
    expect((await findCommand(["serve", "--port", "0"]))?.rest).toEqual(["--port", "0"]);
    expect(await findCommand(["tenants"])).toBeUndefined();
    const three = await findCommand(["cluster", "hosts", "add", "c", "http://10.0.0.3:3000"]);
    expect([three?.command.name, three?.rest]).toEqual(["cluster hosts add", ["c", "http://10.0.0.3:3000"]]);
    expect(await findCommand(["cluster", "hosts"])).toBeUndefined();
    expect(await findCommand(["nope"])).toBeUndefined();
  });
});
