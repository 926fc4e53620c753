-- Activity heatmap (analytics_heatmap): per user who acted (actor_type 'user', owner_id =
-- actor_id), the interactions they made in the 365 days ending with params.run_date, by
-- weekday (0 = Monday … 6 = Sunday) and hour (0-23) in the workspace's time zone
-- (workspace.time_zone, an IANA name; none: UTC). Only the cells with at least one interaction
-- have a row.
-- A time zone's offset from UTC is looked up once per zone and UTC hour, not per interaction
-- (the lookup is the costly part): within an hour whose start and end have the same offset,
-- local time is the UTC time plus that offset, exactly, whatever the offset (half hours,
-- 45 minutes, seconds); an hour during which the offset changes (a daylight-saving change)
-- converts each of its interactions on its own. (No zone changes its offset twice, and back,
-- within one hour.) The zone is looked up by a scalar subquery rather than a join: DuckDB then
-- hashes the thousand workspaces, not the millions of interactions (2.6 s of 8 at 10M rows).
-- Portability: `ts AT TIME ZONE zone` is standard SQL, but its meaning for a timestamp without
-- a zone differs by engine: here (DuckDB with ICU, as PostgreSQL) the stored UTC time is first
-- made a TIMESTAMP WITH TIME ZONE (AT TIME ZONE 'UTC') and then read as local time in the
-- zone (Trino: at_timezone, Spark: from_utc_timestamp). EXTRACT(ISODOW …) (Monday = 1) is
-- DuckDB and PostgreSQL (Spark: dayofweek, Trino: day_of_week).
WITH p AS (
  SELECT run_date, CAST(run_date AS TIMESTAMP) + INTERVAL '1' DAY AS run_end FROM params
),
acts AS (
  SELECT i.tenant, i.actor_id AS owner_id, i.occurred_at,
         COALESCE((SELECT w.time_zone FROM workspace w WHERE w.tenant = i.tenant), 'UTC') AS zone,
         CAST(i.occurred_at AS DATE) AS utc_day,
         EXTRACT(HOUR FROM i.occurred_at) AS utc_hour
  FROM interactions i
  CROSS JOIN p
  WHERE i.actor_type = 'user' AND i.actor_id IS NOT NULL
    AND i.occurred_at < p.run_end AND i.occurred_at >= p.run_end - INTERVAL '365' DAY
    AND i.day <= p.run_date AND i.day >= p.run_date - INTERVAL '366' DAY
),
hours AS (
  SELECT DISTINCT zone, utc_day, utc_hour,
         CAST(utc_day AS TIMESTAMP) + utc_hour * INTERVAL '1' HOUR AS hour_start
  FROM acts
),
offsets AS (
  -- The zone's offset at the hour's start and at the next hour's start.
  SELECT zone, utc_day, utc_hour,
         ((hour_start AT TIME ZONE 'UTC') AT TIME ZONE zone) - hour_start AS offset_at_start,
         (((hour_start + INTERVAL '1' HOUR) AT TIME ZONE 'UTC') AT TIME ZONE zone)
           - (hour_start + INTERVAL '1' HOUR) AS offset_at_end
  FROM hours
),
local_times AS (
  SELECT a.tenant, a.owner_id,
         CASE WHEN o.offset_at_start = o.offset_at_end THEN a.occurred_at + o.offset_at_start
              ELSE (a.occurred_at AT TIME ZONE 'UTC') AT TIME ZONE a.zone END AS local_at
  FROM acts a
  JOIN offsets o ON o.zone = a.zone AND o.utc_day = a.utc_day AND o.utc_hour = a.utc_hour
)
SELECT tenant, owner_id,
       CAST(EXTRACT(ISODOW FROM local_at) - 1 AS INTEGER) AS weekday,
       CAST(EXTRACT(HOUR FROM local_at) AS INTEGER) AS hour,
       CAST(COUNT(*) AS INTEGER) AS interactions
FROM local_times
GROUP BY tenant, owner_id, EXTRACT(ISODOW FROM local_at), EXTRACT(HOUR FROM local_at)
