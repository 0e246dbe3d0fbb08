-- id: imd2025_idaopi_most_deprived_10pc
-- title: Older people in the 10% most deprived neighbourhoods on IDAOPI (IMD 2025)
-- definition: The share of older people who live in an LSOA ranked among the 10% most deprived in
--   England on the Income Deprivation Affecting Older People Index (IDAOPI) 2025 (decile 1).
-- unit: %
-- polarity: higher is worse
-- rule: ratio
-- numerator: people aged 65 and over in LSOAs in IDAOPI decile 1 (Census 2021)
-- denominator: all people aged 65 and over (Census 2021)
-- ci: none
-- sources: imd2025 (imd), population-census2021 (population)
-- geography: lsoa21
-- caveat: IDAOPI is the share of people aged 60 and over who are income deprived.
-- caveat: No confidence interval: every neighbourhood in England is classified, so there is no
--   sampling error to test; comparisons say how big a difference is, not whether it is
--   significant.
-- caveat: Needs IoD2025 File 7 with IDAOPI; the derived IoD2025 file in the shared data has no
--   IDAOPI, so it shows no data.
-- caveat: IDAOPI covers people aged 60 and over; the Census 2021 bands loaded give 65 and over, so
--   the denominator is people aged 65+.
-- sentence: {value} of older people in {area} live in the 10% of neighbourhoods in England most
--   deprived on IDAOPI{compare}.
SELECT i.lsoa_code,
       CASE WHEN i.idaopi_decile = 1 THEN p.population ELSE 0 END AS numerator,
       p.population AS denominator
FROM imd i
JOIN population p
  ON p.area_code = i.lsoa_code AND p.dataset = 'population-census2021' AND p.area_level = 'lsoa21'
 AND p.sex = 'persons' AND p.age_band = '65+'
WHERE i.edition = 2025 AND i.idaopi_decile IS NOT NULL
