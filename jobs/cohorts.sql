-- Cohort retention (analytics_cohorts). A contact (of the workspace's contact snapshot) joins
-- the cohort of the month (UTC) of its first interaction about it (subject_type 'contact');
-- it is active in a later month when it has at least one interaction about it in that month.
-- The cohorts are the 12 months ending with the month of params.run_date; each has one row per
-- month_offset from 0 (its own month: active = cohort_size) up to 11 or run_date's month,
-- whichever comes first, including offsets where no one was active (active = 0).
-- Only interactions up to the end of run_date count.
-- Portability: standard SQL (CTEs, EXTRACT, LPAD, CASE); offsets come from a VALUES list.
WITH p AS (
  SELECT run_date,
         CAST(run_date AS TIMESTAMP) + INTERVAL '1' DAY AS run_end,
         EXTRACT(YEAR FROM run_date) * 12 + EXTRACT(MONTH FROM run_date) - 1 AS run_month
  FROM params
),
touches AS (
  SELECT DISTINCT i.tenant, i.subject_id AS contact_id,
         EXTRACT(YEAR FROM i.occurred_at) * 12 + EXTRACT(MONTH FROM i.occurred_at) - 1 AS month_index
  FROM interactions i
  JOIN contacts c ON c.tenant = i.tenant AND c.id = i.subject_id
  CROSS JOIN p
  WHERE i.subject_type = 'contact' AND i.occurred_at < p.run_end AND i.day <= p.run_date
),
firsts AS (
  SELECT tenant, contact_id, MIN(month_index) AS cohort_index
  FROM touches
  GROUP BY tenant, contact_id
),
cohorts AS (
  SELECT f.tenant, f.cohort_index, COUNT(*) AS cohort_size
  FROM firsts f
  CROSS JOIN p
  WHERE f.cohort_index > p.run_month - 12
  GROUP BY f.tenant, f.cohort_index
),
activity AS (
  SELECT f.tenant, f.cohort_index, t.month_index - f.cohort_index AS month_offset,
         COUNT(*) AS active
  FROM firsts f
  JOIN touches t ON t.tenant = f.tenant AND t.contact_id = f.contact_id
  CROSS JOIN p
  WHERE f.cohort_index > p.run_month - 12 AND t.month_index - f.cohort_index BETWEEN 0 AND 11
  GROUP BY f.tenant, f.cohort_index, t.month_index - f.cohort_index
),
offsets (month_offset) AS (
  VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11)
)
SELECT c.tenant,
       CAST(CAST(FLOOR(c.cohort_index / 12) AS INTEGER) AS VARCHAR) || '-' ||
         LPAD(CAST(CAST(c.cohort_index - FLOOR(c.cohort_index / 12) * 12 + 1 AS INTEGER) AS VARCHAR), 2, '0')
         AS cohort_month,
       o.month_offset,
       CAST(c.cohort_size AS INTEGER) AS cohort_size,
       CAST(COALESCE(a.active, 0) AS INTEGER) AS active
FROM cohorts c
CROSS JOIN offsets o
CROSS JOIN p
LEFT JOIN activity a
  ON a.tenant = c.tenant AND a.cohort_index = c.cohort_index AND a.month_offset = o.month_offset
WHERE c.cohort_index + o.month_offset <= p.run_month
