import analyticsRfmSummary from "../analytics/rfm-summary.worker.ts";
import authRemoveUser from "../auth/remove-user.worker.ts";
import authRequestReset from "../auth/request-reset.worker.ts";
import backupsSnapshot from "../backups/snapshot.worker.ts";
import batchRun from "../batch/run.worker.ts";
import bulkCount from "../bulk/count.worker.ts";
import bulkRun from "../bulk/run.worker.ts";
import clusterApplyPages from "../cluster/apply-pages.worker.ts";
import clusterDiffPages from "../cluster/diff-pages.worker.ts";
import clusterHashPages from "../cluster/hash-pages.worker.ts";
import customFieldsChange from "../custom-fields/change-field.worker.ts";
import eventsIngest from "../events/ingest.worker.ts";
import exportsCount from "../exports/count.worker.ts";
import exportsList from "../exports/export.worker.ts";
import idempotencyPurge from "../idempotency/purge.worker.ts";
import importCheck from "../imports/check.worker.ts";
import importInspect from "../imports/inspect.worker.ts";
import importRun from "../imports/run.worker.ts";
import importUndo from "../imports/undo.worker.ts";
import importUndoPreview from "../imports/undo-preview.worker.ts";
import mergeRun from "../merge/run.worker.ts";
import pipelinesChangeStage from "../pipelines/change-stage.worker.ts";
import privacyBackup from "../privacy/backup.worker.ts";
import privacyErase from "../privacy/erase.worker.ts";
import privacyExportPerson from "../privacy/export-person.worker.ts";
import privacyWorkspaceCsv from "../privacy/workspace-csv.worker.ts";
import privacyWorkspaceSqlite from "../privacy/workspace-sqlite.worker.ts";
import reportActivity from "../reports/activity.worker.ts";
import reportClosing from "../reports/closing.worker.ts";
import reportNewContacts from "../reports/new-contacts.worker.ts";
import reportPipeline from "../reports/pipeline.worker.ts";
import reportWinRate from "../reports/win-rate.worker.ts";
import segmentCount from "../segments/count.worker.ts";
import segmentExport from "../segments/export.worker.ts";
import segmentMembers from "../segments/members.worker.ts";
import tenancyCheckpoint from "../tenancy/checkpoint.worker.ts";
import type { TaskHandler } from "./task-types.ts";

/**
 * Every task a pool thread can run, by name: the one list of task entry files (each lives
 * with the capability that owns it, as `<verb>.worker.ts`), so a compiled binary can embed
 * them all. A task is a default-exported TaskHandler.
 */
export const TASKS = {
  "reports.pipeline": reportPipeline,
  "reports.win-rate": reportWinRate,
  "reports.activity": reportActivity,
  "reports.new-contacts": reportNewContacts,
  "reports.closing": reportClosing,
  "segments.count": segmentCount,
  "segments.members": segmentMembers,
  "segments.export": segmentExport,
  "bulk.count": bulkCount,
  "bulk.run": bulkRun,
  "batch.run": batchRun,
  "events.ingest": eventsIngest,
  "exports.list": exportsList,
  "exports.count": exportsCount,
  "imports.inspect": importInspect,
  "imports.check": importCheck,
  "imports.run": importRun,
  "imports.undo": importUndo,
  "imports.undo-preview": importUndoPreview,
  "merge.run": mergeRun,
  "custom-fields.change": customFieldsChange,
  "pipelines.change-stage": pipelinesChangeStage,
  "idempotency.purge": idempotencyPurge,
  "privacy.backup": privacyBackup,
  "backups.snapshot": backupsSnapshot,
  "privacy.erase": privacyErase,
  "privacy.export-person": privacyExportPerson,
  "privacy.workspace-csv": privacyWorkspaceCsv,
  "privacy.workspace-sqlite": privacyWorkspaceSqlite,
  "tenancy.checkpoint": tenancyCheckpoint,
  "cluster.diff-pages": clusterDiffPages,
  "cluster.apply-pages": clusterApplyPages,
  "cluster.hash-pages": clusterHashPages,
  "analytics.rfm-summary": analyticsRfmSummary,
  "auth.request-reset": authRequestReset,
  "auth.remove-user": authRemoveUser,
} satisfies Record<string, TaskHandler<never, unknown>>;

export type TaskName = keyof typeof TASKS;
