-- Cohort retention (analytics_cohorts). A contact (of the workspace's contact snapshot) joins
-- the cohort of the month (UTC) of its first interaction about it (subject_type 'contact');
-- it is active in a later month when it has at least one interaction about it in that month.
-- The cohorts are the 12 months ending with the month of params.run_date; each has one row per
-- month_offset from 0 (its own month: active = cohort_size) up to 11 or run_date's month,
-- whichever comes first, including offsets where no one was active (active = 0).
-- Only interactions up to the end of run_date count.
-- One pass over the interactions: per contact, its first interaction and a flag for each of the
-- 12 months saying whether it had one then (k = 0 for the oldest month, 11 for run_date's);
-- a cohort's activity in a month is then the sum of its members' flags for that month. (The
-- month-by-month DISTINCT and join it replaces took most of the job's time at 10M rows.)
-- Portability: standard SQL (CTEs, EXTRACT, LPAD, CASE); offsets come from a VALUES list.
WITH p AS (
  SELECT run_date,
         CAST(run_date AS TIMESTAMP) + INTERVAL '1' DAY AS run_end,
         EXTRACT(YEAR FROM run_date) * 12 + EXTRACT(MONTH FROM run_date) - 1 AS run_month
  FROM params
),
touches AS (
  SELECT i.tenant, i.subject_id AS contact_id, i.occurred_at,
         EXTRACT(YEAR FROM i.occurred_at) * 12 + EXTRACT(MONTH FROM i.occurred_at) - 1
           - (p.run_month - 11) AS k
  FROM interactions i
  CROSS JOIN p
  WHERE i.subject_type = 'contact' AND i.occurred_at < p.run_end AND i.day <= p.run_date
),
per_contact AS (
  SELECT tenant, contact_id, MIN(occurred_at) AS first_at,
         MAX(CASE WHEN k = 0 THEN 1 ELSE 0 END) AS a0,
         MAX(CASE WHEN k = 1 THEN 1 ELSE 0 END) AS a1,
         MAX(CASE WHEN k = 2 THEN 1 ELSE 0 END) AS a2,
         MAX(CASE WHEN k = 3 THEN 1 ELSE 0 END) AS a3,
         MAX(CASE WHEN k = 4 THEN 1 ELSE 0 END) AS a4,
         MAX(CASE WHEN k = 5 THEN 1 ELSE 0 END) AS a5,
         MAX(CASE WHEN k = 6 THEN 1 ELSE 0 END) AS a6,
         MAX(CASE WHEN k = 7 THEN 1 ELSE 0 END) AS a7,
         MAX(CASE WHEN k = 8 THEN 1 ELSE 0 END) AS a8,
         MAX(CASE WHEN k = 9 THEN 1 ELSE 0 END) AS a9,
         MAX(CASE WHEN k = 10 THEN 1 ELSE 0 END) AS a10,
         MAX(CASE WHEN k = 11 THEN 1 ELSE 0 END) AS a11
  FROM touches
  GROUP BY tenant, contact_id
),
members AS (
  SELECT f.*,
         EXTRACT(YEAR FROM f.first_at) * 12 + EXTRACT(MONTH FROM f.first_at) - 1 AS cohort_index
  FROM per_contact f
  JOIN contacts c ON c.tenant = f.tenant AND c.id = f.contact_id
),
offsets (month_offset) AS (
  VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11)
),
activity AS (
  SELECT m.tenant, m.cohort_index, o.month_offset,
         CASE m.cohort_index + o.month_offset - (p.run_month - 11)
           WHEN 0 THEN m.a0
           WHEN 1 THEN m.a1
           WHEN 2 THEN m.a2
           WHEN 3 THEN m.a3
           WHEN 4 THEN m.a4
           WHEN 5 THEN m.a5
           WHEN 6 THEN m.a6
           WHEN 7 THEN m.a7
           WHEN 8 THEN m.a8
           WHEN 9 THEN m.a9
           WHEN 10 THEN m.a10
           WHEN 11 THEN m.a11
         END AS active
  FROM members m
  CROSS JOIN p
  CROSS JOIN offsets o
  WHERE m.cohort_index > p.run_month - 12 AND m.cohort_index + o.month_offset <= p.run_month
)
SELECT tenant,
       CAST(CAST(FLOOR(cohort_index / 12) AS INTEGER) AS VARCHAR) || '-' ||
         LPAD(CAST(CAST(cohort_index - FLOOR(cohort_index / 12) * 12 + 1 AS INTEGER) AS VARCHAR), 2, '0')
         AS cohort_month,
       month_offset,
       CAST(COUNT(*) AS INTEGER) AS cohort_size,
       CAST(SUM(active) AS INTEGER) AS active
FROM activity
GROUP BY tenant, cohort_index, month_offset
