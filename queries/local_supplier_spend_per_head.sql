-- id: local_supplier_spend_per_head
-- title: Council spending with suppliers based here, per resident
-- definition: The council's published payments (net of credits) in the latest 12 months of its
--   loaded spending data to suppliers found to be based in the area, per Census 2021 resident.
-- unit: £ per head
-- polarity: neutral
-- rule: ratio
-- numerator: net payments in the 12 months to the council's latest payment date to suppliers
--   placed in the area's LSOAs (supplier_places status local)
-- denominator: usual residents (Census 2021)
-- ci: none
-- sources: * (spending), * (services), * (grants), postcodes (postcodes), population-census2021 (population)
-- geography: lsoa21
-- param: months integer = 12
-- caveat: Spending files do not say where suppliers are based. A supplier is placed only when it
--   matches an organisation the warehouse knows with a place (a registered charity, school,
--   service or grant recipient) or the user's suppliers lookup; most spending is not placed, and
--   the money page reports how much.
-- caveat: Where a supplier is based (its registered or contact address) is not always where it
--   works or where the service is delivered.
-- caveat: Computed only for authorities whose council's loaded files cover all 12 months.
-- sentence: The council paid suppliers based in {area} {value} per resident over the latest
--   12 months{compare}.
WITH latest AS (
    SELECT council_code, max(payment_date) AS last FROM spending
    WHERE council_code IS NOT NULL AND payment_date IS NOT NULL GROUP BY council_code
),
covered AS (
    SELECT s.council_code FROM spending s JOIN latest l USING (council_code)
    WHERE s.payment_date > l.last - to_months($months::INTEGER)
    GROUP BY s.council_code
    HAVING count(DISTINCT date_trunc('month', s.payment_date)) >= $months
),
paid AS (
    SELECT p.lsoa21_code, sum(s.amount) AS amount
    FROM spending s
    JOIN latest l USING (council_code)
    JOIN supplier_places p ON p.council_code = s.council_code
     AND p.supplier_name IS NOT DISTINCT FROM s.supplier_name AND p.supplier_id IS NOT DISTINCT FROM s.supplier_id
    WHERE s.payment_date > l.last - to_months($months::INTEGER) AND p.status = 'local'
    GROUP BY p.lsoa21_code
)
SELECT a.code AS lsoa_code,
       coalesce(paid.amount, 0) AS numerator,
       r.population AS denominator
FROM areas a
JOIN covered c ON c.council_code = a.lad_code
JOIN population r ON r.area_code = a.code AND r.dataset = 'population-census2021' AND r.area_level = 'lsoa21'
 AND r.sex = 'persons' AND r.age_band = 'all'
LEFT JOIN paid ON paid.lsoa21_code = a.code
WHERE a.level = 'lsoa21'
