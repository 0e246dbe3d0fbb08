-- id: grants_per_head
-- title: 360Giving grants per resident
-- definition: Grants published to the 360Giving standard and awarded in the latest 12 months of
--   the loaded grants data, per Census 2021 resident, placed where they benefit.
-- unit: £ per head
-- polarity: neutral
-- rule: ratio
-- numerator: pounds awarded, each grant placed in its LSOA, or shared among the LSOAs of its
--   beneficiary ward or local authority in proportion to their residents
-- denominator: usual residents (Census 2021)
-- ci: none
-- sources: * (grants), population-census2021 (population)
-- geography: lsoa21
-- param: months integer = 12
-- caveat: Only the funders whose files are loaded are counted (see the sources); most grant-makers
--   do not publish to 360Giving.
-- caveat: A grant is placed by its beneficiary location where it has one, otherwise by the
--   recipient's postcode, which is where the organisation is based and not always where it works.
--   A grant to a whole ward or authority is shared among its neighbourhoods by population, which
--   assumes everyone benefits equally.
-- caveat: Computed only for local authorities where at least one grant is placed, so that an
--   authority with no funder loaded shows no data rather than zero; the England figure covers only
--   those authorities and is not compared.
-- caveat: A multi-year grant counts in full in the year it was awarded.
-- sentence: Grants published to 360Giving came to {value} per resident of {area} over the latest
--   12 months{compare}.
WITH residents AS (
    SELECT area_code AS lsoa_code, population
    FROM population
    WHERE dataset = 'population-census2021' AND area_level = 'lsoa21'
      AND sex = 'persons' AND age_band = 'all'
),
recent AS (
    SELECT g.amount_awarded AS amount, g.lsoa21_code, g.ward_code, g.lad_code
    FROM grants g
    WHERE g.amount_awarded IS NOT NULL AND coalesce(g.currency, 'GBP') = 'GBP'
      AND g.award_date > (SELECT max(award_date) FROM grants) - to_months($months::INTEGER)
),
wards AS (
    SELECT al.area_code AS ward_code, al.lsoa_code,
           r.population / sum(r.population) OVER (PARTITION BY al.area_code) AS share
    FROM area_lsoas al JOIN residents r USING (lsoa_code)
    WHERE al.area_level = 'ward' AND al.lsoa_vintage = 2021
),
lads AS (
    SELECT al.area_code AS lad_code, al.lsoa_code,
           r.population / sum(r.population) OVER (PARTITION BY al.area_code) AS share
    FROM area_lsoas al JOIN residents r USING (lsoa_code)
    WHERE al.area_level = 'lad' AND al.lsoa_vintage = 2021
),
-- Each grant goes to the finest place that can be found: its LSOA, else its ward's LSOAs, else
-- its local authority's LSOAs.
by_lsoa AS (
    SELECT r.lsoa_code, g.amount FROM recent g JOIN residents r ON r.lsoa_code = g.lsoa21_code
),
by_ward AS (
    SELECT w.lsoa_code, g.amount * w.share AS amount
    FROM recent g JOIN wards w ON w.ward_code = g.ward_code
    WHERE g.lsoa21_code IS NULL OR g.lsoa21_code NOT IN (SELECT lsoa_code FROM residents)
),
by_lad AS (
    SELECT l.lsoa_code, g.amount * l.share AS amount
    FROM recent g JOIN lads l ON l.lad_code = g.lad_code
    WHERE (g.lsoa21_code IS NULL OR g.lsoa21_code NOT IN (SELECT lsoa_code FROM residents))
      AND (g.ward_code IS NULL OR g.ward_code NOT IN (SELECT ward_code FROM wards))
),
placed AS (
    SELECT * FROM by_lsoa UNION ALL SELECT * FROM by_ward UNION ALL SELECT * FROM by_lad
),
covered AS (
    SELECT DISTINCT l.lad_code FROM placed p JOIN lads l USING (lsoa_code)
)
SELECT l.lsoa_code,
       coalesce((SELECT sum(p.amount) FROM placed p WHERE p.lsoa_code = l.lsoa_code), 0) AS numerator,
       r.population AS denominator
FROM lads l
JOIN covered USING (lad_code)
JOIN residents r USING (lsoa_code)
