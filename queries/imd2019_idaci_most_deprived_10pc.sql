-- id: imd2019_idaci_most_deprived_10pc
-- title: Children in the 10% most deprived neighbourhoods on IDACI (IMD 2019)
-- definition: The share of children aged 0-15 who live in an LSOA ranked among the 10% most
--   deprived in England on the Income Deprivation Affecting Children Index (IDACI) 2019 (decile
--   1).
-- unit: %
-- polarity: higher is worse
-- rule: ratio
-- numerator: people aged 0-15 in LSOAs in IDACI decile 1 (IoD2019 denominators, mid-2015)
-- denominator: all people aged 0-15 (IoD2019 denominators, mid-2015)
-- ci: none
-- sources: imd2019 (imd)
-- geography: lsoa11
-- caveat: IDACI is the share of children aged 0-15 living in income-deprived families.
-- caveat: No confidence interval: every neighbourhood in England is classified, so there is no
--   sampling error to test; comparisons say how big a difference is, not whether it is
--   significant.
-- caveat: Shown only where the published IoD2019 files with the IDACI scores and the population
--   denominators are loaded.
-- sentence: {value} of children in {area} live in the 10% of neighbourhoods in England most
--   deprived on IDACI{compare}.
SELECT lsoa_code,
       CASE WHEN idaci_decile = 1 THEN pop_0_15 ELSE 0 END AS numerator,
       pop_0_15 AS denominator
FROM imd
WHERE edition = 2019 AND idaci_decile IS NOT NULL AND pop_0_15 IS NOT NULL
