-- id: population_change_2017_2021
-- title: Population change, mid-2017 to Census 2021
-- definition: The change in residents from the ONS mid-2017 estimate (2011 LSOAs) to Census 2021
--   (2021 LSOAs), as a percentage of the mid-2017 estimate.
-- unit: %
-- polarity: neutral
-- rule: ratio
-- numerator: Census 2021 usual residents minus mid-2017 estimated residents
-- denominator: mid-2017 estimated residents
-- ci: none
-- sources: population-sape (population), population-census2021 (population)
-- geography: lad
-- caveat: Computed for local authorities and England only: the two counts use different LSOA
--   boundaries (2011 and 2021), and an LSOA that was split or merged has no counterpart to
--   subtract, whereas a local authority is made of whole LSOAs of both vintages.
-- caveat: Each local authority is summed from its LSOAs of each vintage (the LSOA-to-authority
--   lookups), so both years use the same authority codes; an authority needs the boundaries of
--   both vintages loaded.
-- caveat: Compares an estimate with a census: part of the change is the error in the mid-2017
--   estimate, which ONS later revised; and mid-2017 (30 June) to Census day (21 March 2021) is
--   3.7 years.
-- sentence: {area}'s population {change} between mid-2017 and Census 2021{compare}.
WITH p2017 AS (
    SELECT area_code AS lsoa_code, population
    FROM population
    WHERE dataset = 'population-sape' AND area_level = 'lsoa11' AND year = 2017
      AND sex = 'persons' AND age_band = 'all'
),
p2021 AS (
    SELECT area_code AS lsoa_code, population
    FROM population
    WHERE dataset = 'population-census2021' AND area_level = 'lsoa21'
      AND sex = 'persons' AND age_band = 'all'
),
lad2017 AS (
    SELECT al.area_code, sum(p.population) AS population, count(*) AS lsoas, count(p.population) AS with_data
    FROM area_lsoas al LEFT JOIN p2017 p USING (lsoa_code)
    WHERE al.area_level = 'lad' AND al.lsoa_vintage = 2011
    GROUP BY al.area_code
),
lad2021 AS (
    SELECT al.area_code, sum(p.population) AS population, count(*) AS lsoas, count(p.population) AS with_data
    FROM area_lsoas al LEFT JOIN p2021 p USING (lsoa_code)
    WHERE al.area_level = 'lad' AND al.lsoa_vintage = 2021
    GROUP BY al.area_code
)
SELECT a.area_code,
       b.population - a.population AS numerator,
       a.population AS denominator
FROM lad2017 a JOIN lad2021 b USING (area_code)
WHERE a.with_data = a.lsoas AND b.with_data = b.lsoas
UNION ALL
SELECT 'E92000001',
       (SELECT sum(population) FROM p2021 WHERE lsoa_code LIKE 'E01%')
         - (SELECT sum(population) FROM p2017 WHERE lsoa_code LIKE 'E01%'),
       (SELECT sum(population) FROM p2017 WHERE lsoa_code LIKE 'E01%')
