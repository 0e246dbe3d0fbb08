-- id: imd2025_housing_most_deprived_10pc
-- title: Residents in the 10% most deprived neighbourhoods for barriers to housing and services
--   (IMD 2025)
-- definition: The share of residents who live in an LSOA ranked among the 10% most deprived in
--   England on the Barriers to Housing and Services domain of the English Indices of Deprivation
--   2025 (decile 1 of the domain).
-- unit: %
-- polarity: higher is worse
-- rule: ratio
-- numerator: residents of LSOAs in decile 1 (Census 2021 usual residents)
-- denominator: all usual residents (Census 2021)
-- ci: none
-- sources: imd2025 (imd), population-census2021 (population)
-- geography: lsoa21
-- caveat: Deprivation is measured for whole neighbourhoods (LSOAs), not people: not everyone in a
--   deprived neighbourhood is deprived, and many deprived people live elsewhere.
-- caveat: The Barriers domain combines road distance to services (GP, school, shop, post office)
--   with housing affordability, overcrowding and homelessness, so rural areas often rank as
--   deprived on it.
-- caveat: No confidence interval: every neighbourhood in England is classified, so there is no
--   sampling error to test; comparisons say how big a difference is, not whether it is
--   significant.
-- caveat: IMD 2025 uses 2021 LSOA boundaries; residents are Census 2021 usual residents, not the
--   IoD's own mid-2022 denominators.
-- sentence: {value} of residents in {area} live in the 10% of neighbourhoods in England most
--   deprived for barriers to housing and services{compare}.
SELECT i.lsoa_code,
       CASE WHEN i.housing_decile <= 1 THEN p.population ELSE 0 END AS numerator,
       p.population AS denominator
FROM imd i
JOIN population p
  ON p.area_code = i.lsoa_code AND p.dataset = 'population-census2021' AND p.area_level = 'lsoa21'
 AND p.sex = 'persons' AND p.age_band = 'all'
WHERE i.edition = 2025 AND i.housing_decile IS NOT NULL
