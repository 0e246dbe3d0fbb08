-- id: imd2025_employment_rate
-- title: Working-age residents in employment deprivation (IMD 2025)
-- definition: The estimated share of working-age residents in employment deprivation: the
--   Employment domain 2025 score (a rate) of each LSOA, weighted by its Census 2021 working-age
--   residents. This is the population-weighted mean of the domain score, shown as a percentage.
-- unit: %
-- polarity: higher is worse
-- rule: ratio
-- numerator: employment domain score × working-age residents of each LSOA (an estimate of the
--   number in employment deprivation)
-- denominator: usual residents aged 16-64 (Census 2021)
-- ci: none
-- sources: imd2025 (imd), population-census2021 (population)
-- geography: lsoa21
-- caveat: The Employment domain score is the share of an LSOA's working-age residents
--   involuntarily out of work; the IoD's working age is 18-66, the Census bands loaded give 16-64.
-- caveat: An estimate, not a count: no confidence interval, and comparisons say how big a
--   difference is, not whether it is significant.
-- sentence: {value} of working-age residents in {area} are estimated to be employment
--   deprived{compare}.
SELECT i.lsoa_code,
       i.employment_score * sum(p.population) AS numerator,
       sum(p.population) AS denominator
FROM imd i
JOIN population p
  ON p.area_code = i.lsoa_code AND p.dataset = 'population-census2021' AND p.area_level = 'lsoa21'
 AND p.sex = 'persons' AND p.age_band IN ('16-24', '25-34', '35-49', '50-64')
WHERE i.edition = 2025 AND i.employment_score IS NOT NULL
GROUP BY i.lsoa_code, i.employment_score
