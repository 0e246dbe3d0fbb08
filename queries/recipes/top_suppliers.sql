-- id: top_suppliers
-- title: Top suppliers by spend for a council
-- description: The organisations a council paid most, from its published spending over £500: how many
--   payments, the net total, the share of all the council's published spending, and the first and last dates.
-- group: Money
-- param: council choice(SELECT DISTINCT council_code, council_name FROM spending ORDER BY 2) = E08000009 | Council
-- param: limit integer [1, 1000] = 50 | How many suppliers
-- caveat: Totals are net: credits and refunds (negative amounts) are subtracted. Councils publish different
--   periods; the first and last dates show what is covered.
-- caveat: Payments to individuals are redacted by councils and may appear under one name such as "Redacted".

WITH total AS (SELECT sum(amount) AS all_spend FROM spending WHERE council_code = $council)
SELECT supplier_name, count(*) AS payments, sum(amount) AS total_pounds,
       round(100 * sum(amount) / any_value(t.all_spend), 2) AS share_pc,
       min(payment_date) AS first_payment, max(payment_date) AS last_payment
FROM spending CROSS JOIN total t
WHERE council_code = $council
GROUP BY supplier_name
ORDER BY total_pounds DESC, supplier_name
LIMIT $limit::BIGINT
