-- Risk per filing: the active flags combined (noisy-or), the outlier model counting half.
CREATE VIEW filing_risk AS
SELECT filing_id,
       1 - exp(sum(ln(1 - least(score * CASE WHEN kind = 'outlier' THEN 0.5 ELSE 1 END, 0.999)))) AS risk,
       count(*) AS flag_count,
       array_agg(DISTINCT kind ORDER BY kind) AS kinds
FROM flags
WHERE active
GROUP BY filing_id;
