-- id: population_mid2017
-- title: Residents (mid-2017 estimate)
-- definition: The ONS mid-2017 small area population estimate, summed over the area's LSOAs
--   (2011 boundaries).
-- unit: count
-- polarity: neutral
-- rule: sum
-- sources: population-sape (population)
-- geography: lsoa11
-- caveat: An estimate rolled forward from Census 2011; estimates for 2012-2020 were revised after
--   Census 2021, and the revisions are not in this file.
-- sentence: An estimated {value} people lived in {area} in mid-2017.
SELECT area_code AS lsoa_code,
       population AS value
FROM population
WHERE dataset = 'population-sape' AND area_level = 'lsoa11' AND year = 2017
  AND sex = 'persons' AND age_band = 'all'
