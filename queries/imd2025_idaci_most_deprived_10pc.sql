-- id: imd2025_idaci_most_deprived_10pc
-- title: Children in the 10% most deprived neighbourhoods on IDACI (IMD 2025)
-- definition: The share of children aged 0-15 who live in an LSOA ranked among the 10% most
--   deprived in England on the Income Deprivation Affecting Children Index (IDACI) 2025 (decile
--   1).
-- unit: %
-- polarity: higher is worse
-- rule: ratio
-- numerator: people aged 0-15 in LSOAs in IDACI decile 1 (Census 2021)
-- denominator: all people aged 0-15 (Census 2021)
-- ci: none
-- sources: imd2025 (imd), population-census2021 (population)
-- geography: lsoa21
-- caveat: IDACI is the share of children aged 0-15 living in income-deprived families.
-- caveat: No confidence interval: every neighbourhood in England is classified, so there is no
--   sampling error to test; comparisons say how big a difference is, not whether it is
--   significant.
-- caveat: Needs IoD2025 File 7 with IDACI; the derived IoD2025 file in the shared data has no
--   IDACI, so it shows no data.
-- sentence: {value} of children in {area} live in the 10% of neighbourhoods in England most
--   deprived on IDACI{compare}.
SELECT i.lsoa_code,
       CASE WHEN i.idaci_decile = 1 THEN p.population ELSE 0 END AS numerator,
       p.population AS denominator
FROM imd i
JOIN population p
  ON p.area_code = i.lsoa_code AND p.dataset = 'population-census2021' AND p.area_level = 'lsoa21'
 AND p.sex = 'persons' AND p.age_band = '0-15'
WHERE i.edition = 2025 AND i.idaci_decile IS NOT NULL
