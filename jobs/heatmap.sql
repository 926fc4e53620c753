-- Activity heatmap (analytics_heatmap): per user who acted (actor_type 'user', owner_id =
-- actor_id), the interactions they made in the 365 days ending with params.run_date, by
-- weekday (0 = Monday … 6 = Sunday) and hour (0-23) in the workspace's time zone
-- (workspace.time_zone, an IANA name; none: UTC). Only the cells with at least one interaction
-- have a row.
-- Portability: `ts AT TIME ZONE zone` is standard SQL, but its meaning for a timestamp without
-- a zone differs by engine: here (DuckDB with ICU, as PostgreSQL) the stored UTC time is first
-- made a TIMESTAMP WITH TIME ZONE (AT TIME ZONE 'UTC') and then read as local time in the
-- zone (Trino: at_timezone, Spark: from_utc_timestamp). EXTRACT(ISODOW …) (Monday = 1) is
-- DuckDB and PostgreSQL (Spark: dayofweek, Trino: day_of_week).
WITH p AS (
  SELECT run_date, CAST(run_date AS TIMESTAMP) + INTERVAL '1' DAY AS run_end FROM params
),
local_times AS (
  SELECT i.tenant, i.actor_id AS owner_id,
         (i.occurred_at AT TIME ZONE 'UTC') AT TIME ZONE COALESCE(w.time_zone, 'UTC') AS local_at
  FROM interactions i
  CROSS JOIN p
  LEFT JOIN workspace w ON w.tenant = i.tenant
  WHERE i.actor_type = 'user' AND i.actor_id IS NOT NULL
    AND i.occurred_at < p.run_end AND i.occurred_at >= p.run_end - INTERVAL '365' DAY
    AND i.day <= p.run_date AND i.day >= p.run_date - INTERVAL '366' DAY
)
SELECT tenant, owner_id,
       CAST(EXTRACT(ISODOW FROM local_at) - 1 AS INTEGER) AS weekday,
       CAST(EXTRACT(HOUR FROM local_at) AS INTEGER) AS hour,
       CAST(COUNT(*) AS INTEGER) AS interactions
FROM local_times
GROUP BY tenant, owner_id, EXTRACT(ISODOW FROM local_at), EXTRACT(HOUR FROM local_at)
