-- Pipeline funnel (analytics_funnel): per pipeline, month (UTC) and stage, the deals that
-- entered the stage, how many of those moved on to a later stage, and the median days spent.
--   An entry is a deal reaching a stage: each deal.stage_changed interaction (its stage_to),
--   plus the deal's creation (deals.created_at) in the stage it started in: the stage_from of
--   its first deal.stage_changed, or its current stage when it never moved. (deal.won and
--   deal.lost are logged beside a deal.stage_changed and are not counted again.)
--   An entry ends at the deal's next entry (ordered by time, then interaction id).
--   entered       entries into the stage that month (a deal that comes back counts again).
--   advanced      those whose next stage is a won stage, or an open stage at a later position.
--   median_days   the median length of the month's entries that have ended, in days
--                 (PERCENTILE_CONT(0.5)); NULL when none has ended yet.
-- Months: the 12 ending with the month of params.run_date; only interactions and deals up to
-- the end of run_date count. Stages missing from the stage snapshot (deleted) are left out.
-- Portability: standard SQL (window functions, PERCENTILE_CONT … WITHIN GROUP) except
-- EXTRACT(EPOCH FROM …) for the seconds between two times (DuckDB, PostgreSQL; Trino:
-- to_unixtime, Spark: unix_timestamp).
WITH p AS (
  SELECT run_date,
         CAST(run_date AS TIMESTAMP) + INTERVAL '1' DAY AS run_end,
         EXTRACT(YEAR FROM run_date) * 12 + EXTRACT(MONTH FROM run_date) - 1 AS run_month
  FROM params
),
moves AS (
  SELECT i.tenant, i.subject_id AS deal_id, i.stage_from, i.stage_to, i.occurred_at, i.id,
         ROW_NUMBER() OVER (PARTITION BY i.tenant, i.subject_id ORDER BY i.occurred_at, i.id) AS nth
  FROM interactions i
  CROSS JOIN p
  WHERE i.kind = 'deal.stage_changed' AND i.subject_type = 'deal' AND i.stage_to IS NOT NULL
    AND i.occurred_at < p.run_end AND i.day <= p.run_date
),
entries AS (
  SELECT tenant, deal_id, stage_to AS stage_id, occurred_at AS entered_at, id AS seq
  FROM moves
  UNION ALL
  SELECT d.tenant, d.id, COALESCE(m.stage_from, d.stage_id), d.created_at, -1
  FROM deals d
  CROSS JOIN p
  LEFT JOIN moves m ON m.tenant = d.tenant AND m.deal_id = d.id AND m.nth = 1
  WHERE d.created_at < p.run_end
),
spans AS (
  SELECT tenant, deal_id, stage_id, entered_at,
         LEAD(stage_id) OVER (PARTITION BY tenant, deal_id ORDER BY entered_at, seq) AS next_stage,
         LEAD(entered_at) OVER (PARTITION BY tenant, deal_id ORDER BY entered_at, seq) AS left_at
  FROM entries
),
measured AS (
  SELECT s.tenant, st.pipeline_id,
         EXTRACT(YEAR FROM s.entered_at) * 12 + EXTRACT(MONTH FROM s.entered_at) - 1 AS month_index,
         s.stage_id,
         CASE WHEN nx.kind = 'won' OR (nx.kind = 'open' AND nx.position > st.position) THEN 1 ELSE 0 END
           AS advanced,
         CASE WHEN s.left_at IS NULL THEN NULL
              ELSE (EXTRACT(EPOCH FROM s.left_at) - EXTRACT(EPOCH FROM s.entered_at)) / 86400.0 END AS days
  FROM spans s
  JOIN stages st ON st.tenant = s.tenant AND st.id = s.stage_id
  LEFT JOIN stages nx ON nx.tenant = s.tenant AND nx.id = s.next_stage
)
SELECT m.tenant, m.pipeline_id,
       CAST(CAST(FLOOR(m.month_index / 12) AS INTEGER) AS VARCHAR) || '-' ||
         LPAD(CAST(CAST(m.month_index - FLOOR(m.month_index / 12) * 12 + 1 AS INTEGER) AS VARCHAR), 2, '0')
         AS month,
       m.stage_id,
       CAST(COUNT(*) AS INTEGER) AS entered,
       CAST(SUM(m.advanced) AS INTEGER) AS advanced,
       PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY m.days) AS median_days
FROM measured m
CROSS JOIN p
WHERE m.month_index > p.run_month - 12 AND m.month_index <= p.run_month
GROUP BY m.tenant, m.pipeline_id, m.month_index, m.stage_id
