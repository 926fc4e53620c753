/** What a finished command said and how it ended. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `argv` to its end with `input` on stdin (none given: empty), and collects both its outputs and its exit code. */
export async function runCommand(
  argv: string[],
  options: { cwd?: string; env?: Record<string, string | undefined>; input?: string } = {},
): Promise<CommandResult> {
  const { input, ...where } = options;
  const stdin = input === undefined ? "ignore" : new TextEncoder().encode(input);
  const proc = Bun.spawn(argv, { ...where, stdin, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}
