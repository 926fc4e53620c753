import type { RecordInsight } from "../../src/analytics/record-insight.ts";
import type { UserSummary } from "../../src/auth/users.ts";
import type { FieldDefinition } from "../../src/custom-fields/field-definitions.ts";
import type { CustomValues } from "../../src/custom-fields/field-values.ts";
import type { DealRecord } from "../../src/deals/deal-record.ts";
import type { TaskRecord } from "../../src/tasks/tasks.ts";
import { recordInsight } from "../analytics/record-insight.ts";
import { customFacts } from "../custom-fields/custom-facts.ts";
import { type Html, html } from "../html.ts";
import type { TaskItemContext } from "../tasks/task-item.ts";
import { dealsSection } from "./deals-section.ts";
import { tasksSection } from "./tasks-section.ts";
import { type TimelineProps, timelineSection } from "./timeline-section.ts";

/** What every record's page shows under its facts: its custom fields, its tasks and its timeline. */
export interface SubjectSectionsProps {
  custom: { fields: FieldDefinition[]; values: CustomValues };
  tasks: { tasks: TaskRecord[]; item: TaskItemContext; users: UserSummary[]; viewerId: number };
  timeline: TimelineProps;
}

/** A contact's or company's sections: those every record has, and its deals. */
export interface RecordSectionsProps extends SubjectSectionsProps {
  deals: {
    rows: DealRecord[];
    /** "New deal" from here (a contact's page, for those who may write), or none. */
    newHref: string | null;
    allHref: string;
    total: number;
    /** The workspace's locale, for their amounts. */
    locale?: string;
  };
  /** The nightly analytics' RFM segment and churn risk, when computed for this record. */
  insight?: RecordInsight;
}

/** A record's custom fields (nothing when the workspace has none). */
export function customFactsSection(p: SubjectSectionsProps): Html {
  return customFacts(p.custom.fields, p.custom.values);
}

/** A record's tasks, with the form that adds one. */
export function recordTasks(p: SubjectSectionsProps): Html {
  const t = p.tasks;
  return tasksSection(t.tasks, t.item, p.timeline.subject, t.users, t.viewerId);
}

/** Under a contact's or company's facts: custom fields, deals, tasks, and the timeline (or its history). */
export function recordSections(p: RecordSectionsProps): Html {
  const d = p.deals;
  return html`${customFactsSection(p)}
${recordInsight(p.insight, p.timeline.base)}
${dealsSection(d.rows, p.timeline.base, d.newHref, d.allHref, d.total, d.locale)}
${recordTasks(p)}
${timelineSection(p.timeline)}`;
}
