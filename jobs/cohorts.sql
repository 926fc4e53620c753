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
         EXTRACT(YEAR FROM run_date) * 12 + EXTRACT(MONTH FROM run_date) - 1 AS run_month,
         -- The first day of the oldest of the 12 months.
         CAST(run_date AS TIMESTAMP) - (EXTRACT(DAY FROM run_date) - 1) * INTERVAL '1' DAY
           - INTERVAL '11' MONTH AS window_start
  FROM params
),
-- Each contact's month of first interaction (the month of its earliest one), over all history.
firsts AS (
  SELECT f.tenant, f.contact_id,
         EXTRACT(YEAR FROM f.first_at) * 12 + EXTRACT(MONTH FROM f.first_at) - 1 AS cohort_index
  FROM (
    SELECT i.tenant, i.subject_id AS contact_id, MIN(i.occurred_at) AS first_at
    FROM interactions i
    CROSS JOIN p
    WHERE i.subject_type = 'contact' AND i.occurred_at < p.run_end AND i.day <= p.run_date
    GROUP BY i.tenant, i.subject_id
  ) f
  JOIN contacts c ON c.tenant = f.tenant AND c.id = f.contact_id
),
members AS (
  SELECT f.tenant, f.contact_id, f.cohort_index
  FROM firsts f
  CROSS JOIN p
  WHERE f.cohort_index > p.run_month - 12
),
-- The months of the 12 in which each contact had an interaction: a cohort's later months are
-- all among them, so older interactions are not read again.
touches AS (
  SELECT DISTINCT i.tenant, i.subject_id AS contact_id,
         EXTRACT(YEAR FROM i.occurred_at) * 12 + EXTRACT(MONTH FROM i.occurred_at) - 1 AS month_index
  FROM interactions i
  CROSS JOIN p
  WHERE i.subject_type = 'contact' AND i.occurred_at < p.run_end AND i.day <= p.run_date
    AND i.occurred_at >= p.window_start AND i.day >= CAST(p.window_start AS DATE)
),
cohorts AS (
  SELECT tenant, cohort_index, COUNT(*) AS cohort_size
  FROM members
  GROUP BY tenant, cohort_index
),
activity AS (
  SELECT m.tenant, m.cohort_index, t.month_index - m.cohort_index AS month_offset,
         COUNT(*) AS active
  FROM members m
  JOIN touches t ON t.tenant = m.tenant AND t.contact_id = m.contact_id
  WHERE t.month_index - m.cohort_index BETWEEN 0 AND 11
  GROUP BY m.tenant, m.cohort_index, t.month_index - m.cohort_index
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
