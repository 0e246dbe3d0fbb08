-- id: council_spending_per_head
-- title: Council spending over £500 per resident
-- definition: The council's published payments of £500 and over (net of credits) in the latest 12
--   months of its loaded spending data, per Census 2021 resident of the authority.
-- unit: £ per head
-- polarity: neutral
-- rule: ratio
-- numerator: net payments of £500 and over in the 12 months to the council's latest payment date
-- denominator: usual residents of the authority (Census 2021, summed over its 2021 LSOAs)
-- ci: none
-- sources: * (spending), population-census2021 (population)
-- geography: lad
-- param: months integer = 12
-- caveat: Councils publish spending per council, not per neighbourhood, so this is shown for local
--   authorities only; there is no England figure because only some councils' files are loaded.
-- caveat: Only councils whose loaded files cover every one of the 12 months are computed: a partial
--   year would understate spending.
-- caveat: Transparency files list payments to suppliers of £500 and over; they leave out salaries,
--   smaller payments and most payments to individuals, include payments to other public bodies,
--   and councils label and split them differently, so compare councils with care.
-- caveat: A council that also delivers county services (a unitary or metropolitan borough) spends
--   more per head than a district council.
-- sentence: {area} council's published payments over £500 came to {value} per resident over the
--   latest 12 months{compare}.
WITH latest AS (
    SELECT council_code, max(payment_date) AS last
    FROM spending
    WHERE council_code IS NOT NULL AND payment_date IS NOT NULL
    GROUP BY council_code
),
year AS (
    SELECT s.council_code,
           sum(s.amount) AS amount,
           count(DISTINCT date_trunc('month', s.payment_date)) AS months
    FROM spending s JOIN latest l USING (council_code)
    WHERE s.payment_date > l.last - to_months($months::INTEGER)
    GROUP BY s.council_code
),
residents AS (
    SELECT al.area_code, sum(p.population) AS population
    FROM area_lsoas al
    JOIN population p
      ON p.area_code = al.lsoa_code AND p.dataset = 'population-census2021' AND p.area_level = 'lsoa21'
     AND p.sex = 'persons' AND p.age_band = 'all'
    WHERE al.area_level = 'lad' AND al.lsoa_vintage = 2021
    GROUP BY al.area_code
)
SELECT y.council_code AS area_code,
       y.amount AS numerator,
       r.population AS denominator
FROM year y JOIN residents r ON r.area_code = y.council_code
WHERE y.months >= $months
