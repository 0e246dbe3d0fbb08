-- id: population_2021
-- title: Residents (Census 2021)
-- definition: Usual residents on Census day, 21 March 2021, summed over the area's LSOAs.
-- unit: count
-- polarity: neutral
-- rule: sum
-- sources: population-census2021 (population)
-- geography: lsoa21
-- caveat: A ward's or custom area's total is the sum of the LSOAs that lie in it by best fit, so
--   it can differ a little from a total published for the exact boundary.
-- sentence: {value} people lived in {area} on Census day 2021.
SELECT area_code AS lsoa_code,
       population AS value
FROM population
WHERE dataset = 'population-census2021' AND area_level = 'lsoa21'
  AND sex = 'persons' AND age_band = 'all'
