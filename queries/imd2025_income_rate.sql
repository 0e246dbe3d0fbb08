-- id: imd2025_income_rate
-- title: Residents in income deprivation (IMD 2025)
-- definition: The estimated share of residents in income deprivation: the Income domain 2025 score
--   (a rate) of each LSOA, weighted by its Census 2021 residents. This is the population-weighted
--   mean of the domain score, shown as a percentage.
-- unit: %
-- polarity: higher is worse
-- rule: ratio
-- numerator: income domain score × residents of each LSOA (an estimate of the number in income
--   deprivation)
-- denominator: all usual residents (Census 2021)
-- ci: none
-- sources: imd2025 (imd), population-census2021 (population)
-- geography: lsoa21
-- caveat: The Income domain score is the share of an LSOA's residents on low-income benefits or
--   tax credits; here each LSOA's score is applied to its Census 2021 residents.
-- caveat: An estimate, not a count: no confidence interval, and comparisons say how big a
--   difference is, not whether it is significant.
-- sentence: {value} of residents in {area} are estimated to be income deprived{compare}.
SELECT i.lsoa_code,
       i.income_score * sum(p.population) AS numerator,
       sum(p.population) AS denominator
FROM imd i
JOIN population p
  ON p.area_code = i.lsoa_code AND p.dataset = 'population-census2021' AND p.area_level = 'lsoa21'
 AND p.sex = 'persons' AND p.age_band = 'all'
WHERE i.edition = 2025 AND i.income_score IS NOT NULL
GROUP BY i.lsoa_code, i.income_score
