/**
 * The tables the jobs read (issue 9's contract): each column and its type, after `tenant`.
 * `interactions` is the log; the others are the workspaces' dimension snapshots.
 */
export const VIEW_COLUMNS: Record<string, [string, string][]> = {
  interactions: [
    ["day", "DATE"],
    ["id", "BIGINT"],
    ["occurred_at", "TIMESTAMP"],
    ["actor_type", "VARCHAR"],
    ["actor_id", "BIGINT"],
    ["kind", "VARCHAR"],
    ["subject_type", "VARCHAR"],
    ["subject_id", "BIGINT"],
    ["stage_from", "BIGINT"],
    ["stage_to", "BIGINT"],
  ],
  contacts: [
    ["id", "BIGINT"],
    ["company_id", "BIGINT"],
    ["owner_id", "BIGINT"],
    ["email_hash", "VARCHAR"],
    ["created_at", "TIMESTAMP"],
    ["updated_at", "TIMESTAMP"],
  ],
  companies: [
    ["id", "BIGINT"],
    ["owner_id", "BIGINT"],
    ["created_at", "TIMESTAMP"],
    ["updated_at", "TIMESTAMP"],
  ],
  deals: [
    ["id", "BIGINT"],
    ["pipeline_id", "BIGINT"],
    ["stage_id", "BIGINT"],
    ["company_id", "BIGINT"],
    ["owner_id", "BIGINT"],
    ["status", "VARCHAR"],
    ["amount_cents", "BIGINT"],
    ["currency", "VARCHAR"],
    ["created_at", "TIMESTAMP"],
    ["closed_at", "TIMESTAMP"],
    ["stage_entered_at", "TIMESTAMP"],
  ],
  deal_contacts: [
    ["deal_id", "BIGINT"],
    ["contact_id", "BIGINT"],
  ],
  stages: [
    ["id", "BIGINT"],
    ["pipeline_id", "BIGINT"],
    ["name", "VARCHAR"],
    ["position", "INTEGER"],
    ["kind", "VARCHAR"],
    ["probability", "INTEGER"],
  ],
  pipelines: [
    ["id", "BIGINT"],
    ["name", "VARCHAR"],
    ["position", "INTEGER"],
  ],
  users: [
    ["id", "BIGINT"],
    ["role", "VARCHAR"],
    ["created_at", "TIMESTAMP"],
  ],
  workspace: [
    ["time_zone", "VARCHAR"],
    ["exported_at", "TIMESTAMP"],
  ],
};

export const VIEW_TABLES = Object.keys(VIEW_COLUMNS);
