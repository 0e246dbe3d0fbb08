-- id: imd2025_income_most_deprived_20pc
-- title: Residents in the 20% most deprived neighbourhoods for income (IMD 2025)
-- definition: The share of residents who live in an LSOA ranked among the 20% most deprived in
--   England on the Income domain of the English Indices of Deprivation 2025 (deciles 1 and 2 of
--   the domain).
-- unit: %
-- polarity: higher is worse
-- rule: ratio
-- numerator: residents of LSOAs in deciles 1 and 2 (Census 2021 usual residents)
-- denominator: all usual residents (Census 2021)
-- ci: none
-- sources: imd2025 (imd), population-census2021 (population)
-- geography: lsoa21
-- caveat: Deprivation is measured for whole neighbourhoods (LSOAs), not people: not everyone in a
--   deprived neighbourhood is deprived, and many deprived people live elsewhere.
-- caveat: The Income domain counts people on low-income benefits and tax credits.
-- caveat: No confidence interval: every neighbourhood in England is classified, so there is no
--   sampling error to test; comparisons say how big a difference is, not whether it is
--   significant.
-- caveat: IMD 2025 uses 2021 LSOA boundaries; residents are Census 2021 usual residents, not the
--   IoD's own mid-2022 denominators.
-- sentence: {value} of residents in {area} live in the 20% of neighbourhoods in England most
--   deprived for income{compare}.
SELECT i.lsoa_code,
       CASE WHEN i.income_decile <= 2 THEN p.population ELSE 0 END AS numerator,
       p.population AS denominator
FROM imd i
JOIN population p
  ON p.area_code = i.lsoa_code AND p.dataset = 'population-census2021' AND p.area_level = 'lsoa21'
 AND p.sex = 'persons' AND p.age_band = 'all'
WHERE i.edition = 2025 AND i.income_decile IS NOT NULL
