-- RFM scoring per contact (analytics_rfm). One row per contact of the workspace's contact
-- snapshot that has at least one interaction about it (subject_type 'contact') up to the end
-- of params.run_date (UTC).
--   last_day       the day (UTC, 'YYYY-MM-DD') of the contact's last interaction: a day, not the
--                  days from it to run_date, so a row changes only when the contact's numbers
--                  do and the write-back writes only those (pages count the days to the run's
--                  day from analytics_freshness.run_date).
--   frequency      interactions about the contact in the 365 days ending with run_date.
--   monetary_cents the amount of the won deals (status 'won', closed by the end of run_date)
--                  the contact is on (deal_contacts; a deal with two people counts for both),
--                  in the workspace's main currency only: the currency of most of its deals
--                  (ties: the first alphabetically). Deals in other currencies are left out
--                  rather than converted at a rate the warehouse does not have.
--   r_score        NTILE(5) over the workspace's scored contacts by last_day, oldest first:
--                  5 = the most recent fifth.
--   f_score        1 for a frequency of 0; otherwise 1 + NTILE(4) over those with a frequency
--                  above 0, lowest first (5 = the most frequent quarter of them).
--   m_score        the same rule over monetary_cents (1 = no won deal).
--   Ties in a score's order are broken by contact id, so a run is deterministic.
--   segment        from r_score (R) and f_score (F):
--                    R 4-5, F 4-5: Champions         R 3, F 4-5: Loyal
--                    R 4-5, F 2-3: Potential loyalists
--                    R 5, F 1: New customers         R 4, F 1: Promising
--                    R 3, F 3: Need attention        R 3, F 1-2: About to sleep
--                    R 1-2, F 5: Cannot lose them    R 1-2, F 3-4: At risk
--                    R 2, F 1-2: Hibernating         R 1, F 1-2: Lost
-- The contacts with interactions are the joins' first table: DuckDB then hashes the few won
-- deals' totals, not the million scored contacts (a third less time at 10M rows).
-- Portability: standard SQL (CTEs, window functions, CASE, CAST of a DATE to text as YYYY-MM-DD).
WITH p AS (
  SELECT run_date, CAST(run_date AS TIMESTAMP) + INTERVAL '1' DAY AS run_end FROM params
),
touches AS (
  SELECT i.tenant, i.subject_id AS contact_id,
         MAX(i.occurred_at) AS last_at,
         SUM(CASE WHEN i.occurred_at >= p.run_end - INTERVAL '365' DAY THEN 1 ELSE 0 END) AS frequency
  FROM interactions i
  CROSS JOIN p
  WHERE i.subject_type = 'contact' AND i.occurred_at < p.run_end AND i.day <= p.run_date
  GROUP BY i.tenant, i.subject_id
),
currency_rank AS (
  SELECT tenant, currency,
         ROW_NUMBER() OVER (PARTITION BY tenant ORDER BY COUNT(*) DESC, currency) AS position_in_use
  FROM deals
  GROUP BY tenant, currency
),
won AS (
  SELECT dc.tenant, dc.contact_id, SUM(d.amount_cents) AS monetary_cents
  FROM deal_contacts dc
  JOIN deals d ON d.tenant = dc.tenant AND d.id = dc.deal_id
  JOIN currency_rank c ON c.tenant = d.tenant AND c.currency = d.currency AND c.position_in_use = 1
  CROSS JOIN p
  WHERE d.status = 'won' AND (d.closed_at IS NULL OR d.closed_at < p.run_end)
  GROUP BY dc.tenant, dc.contact_id
),
scored AS (
  SELECT c.tenant, c.id AS contact_id,
         CAST(t.last_at AS DATE) AS last_date,
         CAST(t.frequency AS INTEGER) AS frequency,
         CAST(COALESCE(w.monetary_cents, 0) AS BIGINT) AS monetary_cents
  FROM touches t
  JOIN contacts c ON c.tenant = t.tenant AND c.id = t.contact_id
  LEFT JOIN won w ON w.tenant = t.tenant AND w.contact_id = t.contact_id
),
scores AS (
  SELECT tenant, contact_id, last_date, frequency, monetary_cents,
         NTILE(5) OVER (PARTITION BY tenant ORDER BY last_date, contact_id) AS r_score,
         CASE WHEN frequency = 0 THEN 1
              ELSE 1 + NTILE(4) OVER (PARTITION BY tenant, CASE WHEN frequency = 0 THEN 0 ELSE 1 END
                                      ORDER BY frequency, contact_id) END AS f_score,
         CASE WHEN monetary_cents = 0 THEN 1
              ELSE 1 + NTILE(4) OVER (PARTITION BY tenant, CASE WHEN monetary_cents = 0 THEN 0 ELSE 1 END
                                      ORDER BY monetary_cents, contact_id) END AS m_score
  FROM scored
)
SELECT tenant, contact_id, CAST(last_date AS VARCHAR) AS last_day, frequency, monetary_cents, r_score, f_score, m_score,
       CASE
         WHEN r_score >= 4 AND f_score >= 4 THEN 'Champions'
         WHEN r_score = 3 AND f_score >= 4 THEN 'Loyal'
         WHEN r_score >= 4 AND f_score >= 2 THEN 'Potential loyalists'
         WHEN r_score = 5 THEN 'New customers'
         WHEN r_score = 4 THEN 'Promising'
         WHEN r_score = 3 AND f_score = 3 THEN 'Need attention'
         WHEN r_score = 3 THEN 'About to sleep'
         WHEN f_score = 5 THEN 'Cannot lose them'
         WHEN f_score >= 3 THEN 'At risk'
         WHEN r_score = 2 THEN 'Hibernating'
         ELSE 'Lost'
       END AS segment
FROM scores
