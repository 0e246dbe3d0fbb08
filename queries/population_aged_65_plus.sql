-- id: population_aged_65_plus
-- title: People aged 65 and over (Census 2021)
-- definition: Usual residents aged 65 and over as a share of all usual residents, Census 2021.
-- unit: %
-- polarity: neutral
-- rule: ratio
-- numerator: usual residents aged 65 and over
-- denominator: all usual residents
-- ci: wilson
-- sources: population-census2021 (population)
-- geography: lsoa21
-- caveat: Confidence intervals treat the census count as the outcome of a process subject to
--   chance, as Fingertips does for census-based proportions.
-- sentence: {value} of {area}'s residents were aged 65 or over in 2021{compare}.
SELECT area_code AS lsoa_code,
       sum(population) FILTER (WHERE age_band = '65+') AS numerator,
       sum(population) FILTER (WHERE age_band = 'all') AS denominator
FROM population
WHERE dataset = 'population-census2021' AND area_level = 'lsoa21' AND sex = 'persons'
  AND age_band IN ('65+', 'all')
GROUP BY area_code
