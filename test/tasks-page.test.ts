import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { TASKS_PER_BUCKET } from "../src/tasks/tasks.ts";
import { type ClockedServer, startClockedServer, TestClock } from "./support/clocked-server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

/**
 * "My tasks" (src/tasks/tasks.ts tasksFor, views/tasks/tasks-page.ts) for someone with more
 * overdue tasks than a group shows: every group is read on its own, so today's and the coming
 * tasks are there whatever the backlog, and each group's header says how many it holds in all.
 * (It read the first 500 open tasks in due order and split them: 500 overdue left "Today",
 * "Upcoming" and "No date" empty, and "Overdue 500" for 1,364.)
 *
 * On the server's own clock, stopped at noon UTC: today's task is due a minute after "now", which
 * on the real clock in the last minute of a UTC day (or a run straddling midnight) is tomorrow's,
 * and the groups rightly differ.
 */
const T = "backlog";
const OWNER = `owner@${T}.test`;
const dir = tempDir("crm-tasks-page-");
const NOW = Date.parse("2026-06-15T12:00:00Z");
let server: ClockedServer;
let call: ReturnType<typeof api>;
let ownerId = 0;
const OVERDUE = TASKS_PER_BUCKET + 12;

beforeAll(async () => {
  const data = new DataDir(dir.path);
  await data.tenant(T, OWNER);
  ownerId = await data.shards.use(
    data.get(T),
    (s) => (s.statement("SELECT id FROM users WHERE email = ?").get(OWNER) as { id: number }).id,
  );
  const key = await data.apiKey(T, "owner");
  data.close();
  server = startClockedServer(dir.path, new TestClock(NOW));
  call = api(server.url, key);
  const day = 86_400_000;
  const task = async (title: string, dueAt: number | null) => {
    const made = await call("POST", `/t/${T}/tasks`, {
      title,
      assigneeId: ownerId,
      dueAt: dueAt === null ? null : new Date(dueAt).toISOString(),
    });
    expect(made.status).toBe(201);
  };
  for (let i = 0; i < OVERDUE; i++) await task(`Old chore ${i}`, NOW - (OVERDUE - i + 2) * day);
  await task("Call back Ada today", NOW + 60_000);
  await task("Quote for Brightside next week", NOW + 7 * day);
  await task("Someday: tidy the tags", null);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  dir.remove();
});

const countOf = (page: string, id: string) =>
  Number(
    new RegExp(`<h2 id="${id}-title">[^<]*<span class="count">([\\d,]+)</span>`)
      .exec(page)?.[1]
      ?.replace(/,/g, ""),
  );

describe("My tasks with a backlog", () => {
  it("shows today's, the coming and the undated tasks past a long overdue list, with each group's true size", async () => {
    const owner = await signIn(server.url, T, OWNER);
    // UTC, so that "today" is the day the tasks above were dated around.
    owner.setCookie("tz", "UTC");
    const page = (await owner.get(`/t/${T}/tasks`)).text;
    expect(page).toContain("Call back Ada today");
    expect(page).toContain("Quote for Brightside next week");
    expect(page).toContain("Someday: tidy the tags");
    expect({
      overdue: countOf(page, "overdue"),
      today: countOf(page, "today"),
      upcoming: countOf(page, "upcoming"),
      someday: countOf(page, "someday"),
    }).toEqual({ overdue: OVERDUE, today: 1, upcoming: 1, someday: 1 });
    // The overdue group shows its first ones, longest overdue first, and says it holds more.
    const overdue = page.slice(
      page.indexOf('<ul class="tasks" id="overdue">'),
      page.indexOf('id="today-title"'),
    );
    expect([...overdue.matchAll(/<li class="task/g)].length).toBe(TASKS_PER_BUCKET);
    expect(overdue).toContain("Old chore 0<");
    expect(overdue).not.toContain(`Old chore ${OVERDUE - 1}<`);
    expect(overdue).toContain(`The first ${TASKS_PER_BUCKET} of ${OVERDUE}, longest overdue first.`);
    // The badge in the top bar counts the same backlog: overdue and today's.
    expect(page).toContain(`title="due today or overdue">${OVERDUE + 1}</span>`);
  });
});
