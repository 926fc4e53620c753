import type { Context } from "hono";
import type { SubjectSectionsProps } from "../../views/records/record-sections.ts";
import { listUsers } from "../auth/users.ts";
import type { RecordType } from "../core/record-types.ts";
import { utcToZoned } from "../core/time-zone.ts";
import { customColumns } from "../custom-fields/custom-columns.ts";
import type { ViewerEnv } from "../http/app-env.ts";
import { rowContext } from "../http/page-context.ts";
import { viewerTimeZone } from "../http/viewer-time-zone.ts";
import { timeline } from "../interactions/timeline.ts";
import type { RequestSecrets } from "../lists/render-cache.ts";
import { taskItemContext } from "../tasks/task-item-props.ts";
import { tasksAbout } from "../tasks/tasks.ts";

/**
 * What every record's page shows under its facts: its custom fields, its tasks and its
 * timeline (with ?view=history, only the changes to it). `secrets` are the nonce and token to
 * write (a cached page writes placeholders), `now` what tasks are overdue by.
 */
export function subjectSectionsProps(
  c: Context<ViewerEnv>,
  subject: { type: RecordType; id: number },
  secrets: RequestSecrets,
  now: number,
): SubjectSectionsProps {
  const shard = c.var.shard;
  const row = rowContext(c);
  const history = c.req.query("view") === "history";
  const custom = customColumns(shard, subject.type, [subject.id]);
  return {
    custom: { fields: custom.fields, values: custom.values.get(subject.id) ?? {} },
    tasks: {
      tasks: tasksAbout(shard, subject.type, subject.id),
      item: { ...taskItemContext(c, secrets.csrfToken, false, now), nonce: secrets.nonce },
      users: listUsers(shard),
      viewerId: c.var.viewer.id,
    },
    timeline: {
      base: row.base,
      subject,
      page: timeline(shard, subject, { changesOnly: history }),
      nonce: secrets.nonce,
      csrfToken: secrets.csrfToken,
      canWrite: row.canWrite,
      history,
      clock: { zone: viewerTimeZone(c), now },
      loggedAt: utcToZoned(now, viewerTimeZone(c)),
    },
  };
}
