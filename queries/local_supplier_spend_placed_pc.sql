-- id: local_supplier_spend_placed_pc
-- title: Council spending whose supplier could be placed
-- definition: The share of the council's published payments (net, latest 12 months of its
--   loaded spending data) made to suppliers whose base could be found, in the authority or
--   elsewhere: the rest is unmapped.
-- unit: %
-- polarity: higher is better
-- rule: ratio
-- numerator: net payments to suppliers placed by the suppliers lookup or a unique name match
--   (supplier_places status local or elsewhere)
-- denominator: all net payments in the 12 months
-- ci: none
-- sources: * (spending), * (services), * (grants), postcodes (postcodes)
-- geography: lad
-- param: months integer = 12
-- caveat: Spending files carry no supplier postcode, so suppliers are placed by matching their
--   names with organisations the warehouse knows; redacted payments and names shared by
--   organisations in several places are never placed.
-- caveat: Computed only for councils whose loaded files cover all 12 months.
-- sentence: {value} of {area} council's published spending over the latest 12 months went to
--   suppliers whose base could be found{compare}.
WITH latest AS (
    SELECT council_code, max(payment_date) AS last FROM spending
    WHERE council_code IS NOT NULL AND payment_date IS NOT NULL GROUP BY council_code
),
year AS (
    SELECT s.council_code,
           sum(s.amount) FILTER (WHERE p.status IN ('local', 'elsewhere')) AS placed,
           sum(s.amount) AS amount,
           count(DISTINCT date_trunc('month', s.payment_date)) AS months
    FROM spending s
    JOIN latest l USING (council_code)
    JOIN supplier_places p ON p.council_code = s.council_code
     AND p.supplier_name IS NOT DISTINCT FROM s.supplier_name AND p.supplier_id IS NOT DISTINCT FROM s.supplier_id
    WHERE s.payment_date > l.last - to_months($months::INTEGER)
    GROUP BY s.council_code
)
SELECT council_code AS area_code, coalesce(placed, 0) AS numerator, amount AS denominator
FROM year WHERE months >= $months AND amount > 0
