-- id: grants_received_per_head
-- title: 360Giving grants received by organisations based here, per resident
-- definition: Grants published to the 360Giving standard and awarded in the latest five years of
--   the loaded grants data, per Census 2021 resident, placed where the grant benefits when a
--   ward is named, otherwise where the recipient is based.
-- unit: £ per head
-- polarity: neutral
-- rule: ratio
-- numerator: pounds awarded to recipients based in the area's LSOAs (by postcode, charity
--   number, company number or a unique name match), plus grants to the area's wards shared
--   among their LSOAs by residents
-- denominator: usual residents (Census 2021)
-- ci: none
-- sources: * (grants), * (services), postcodes (postcodes), population-census2021 (population)
-- geography: lsoa21
-- param: months integer = 60
-- caveat: A grant to a whole authority is placed by where its recipient is based, which is not
--   always where it works; grants whose recipient cannot be found, or is based outside the
--   authority, are not placed and are reported on the money page.
-- caveat: Only the funders whose files are loaded are counted; most grant-makers do not publish
--   to 360Giving.
-- caveat: Computed only for authorities where at least one grant is placed.
-- sentence: Grants published to 360Giving to organisations based in {area} came to {value} per
--   resident over the latest five years{compare}.
WITH residents AS (
    SELECT area_code AS lsoa_code, population FROM population
    WHERE dataset = 'population-census2021' AND area_level = 'lsoa21' AND sex = 'persons' AND age_band = 'all'
),
recent AS (
    SELECT * FROM grant_places
    WHERE status = 'placed' AND amount IS NOT NULL AND coalesce(currency, 'GBP') = 'GBP'
      AND award_date > (SELECT max(award_date) FROM grants) - to_months($months::INTEGER)
),
wards AS (
    SELECT al.area_code AS ward_code, al.lsoa_code,
           r.population / sum(r.population) OVER (PARTITION BY al.area_code) AS share
    FROM area_lsoas al JOIN residents r USING (lsoa_code)
    WHERE al.area_level = 'ward' AND al.lsoa_vintage = 2021
),
placed AS (
    SELECT lsoa21_code AS lsoa_code, amount FROM recent WHERE lsoa21_code IS NOT NULL
    UNION ALL
    SELECT w.lsoa_code, g.amount * w.share FROM recent g JOIN wards w USING (ward_code) WHERE g.lsoa21_code IS NULL
),
covered AS (
    SELECT DISTINCT a.lad_code FROM placed p JOIN areas a ON a.code = p.lsoa_code AND a.level = 'lsoa21'
)
SELECT a.code AS lsoa_code,
       coalesce((SELECT sum(p.amount) FROM placed p WHERE p.lsoa_code = a.code), 0) AS numerator,
       r.population AS denominator
FROM areas a
JOIN covered c ON c.lad_code = a.lad_code
JOIN residents r ON r.lsoa_code = a.code
WHERE a.level = 'lsoa21'
