-- Operators' usage summary (analytics_usage in the host's catalog; never written into a
-- workspace's file nor shown to one). One row per tenant in the warehouse (its workspace
-- snapshot) or among the host's files (tenant_files, supplied by the runner).
--   active_users    users who acted (actor_type 'user') in the 30 days ending with run_date.
--   events          every interaction up to the end of run_date.
--   events_per_day  interactions in those 30 days, divided by 30, rounded.
--   storage_bytes   the size of the tenant's SQLite file with its write-ahead log (tenant_files).
-- Portability: standard SQL (CTEs, CASE, COUNT(DISTINCT)).
WITH p AS (
  SELECT run_date, CAST(run_date AS TIMESTAMP) + INTERVAL '1' DAY AS run_end FROM params
),
tenants_seen AS (
  SELECT tenant FROM workspace
  UNION
  SELECT tenant FROM tenant_files
),
activity AS (
  SELECT i.tenant,
         COUNT(*) AS events,
         SUM(CASE WHEN i.occurred_at >= p.run_end - INTERVAL '30' DAY THEN 1 ELSE 0 END) AS last_30,
         COUNT(DISTINCT CASE WHEN i.actor_type = 'user' AND i.occurred_at >= p.run_end - INTERVAL '30' DAY
                             THEN i.actor_id END) AS active_users
  FROM interactions i
  CROSS JOIN p
  WHERE i.occurred_at < p.run_end AND i.day <= p.run_date
  GROUP BY i.tenant
)
SELECT t.tenant,
       CAST(COALESCE(a.active_users, 0) AS INTEGER) AS active_users,
       CAST(COALESCE(a.events, 0) AS BIGINT) AS events,
       CAST(ROUND(COALESCE(a.last_30, 0) / 30.0) AS INTEGER) AS events_per_day,
       CAST(COALESCE(f.bytes, 0) AS BIGINT) AS storage_bytes
FROM tenants_seen t
LEFT JOIN activity a ON a.tenant = t.tenant
LEFT JOIN tenant_files f ON f.tenant = t.tenant
