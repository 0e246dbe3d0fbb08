-- id: imd2019_idaopi_most_deprived_10pc
-- title: Older people in the 10% most deprived neighbourhoods on IDAOPI (IMD 2019)
-- definition: The share of older people who live in an LSOA ranked among the 10% most deprived in
--   England on the Income Deprivation Affecting Older People Index (IDAOPI) 2019 (decile 1).
-- unit: %
-- polarity: higher is worse
-- rule: ratio
-- numerator: people aged 60 and over in LSOAs in IDAOPI decile 1 (IoD2019 denominators, mid-2015)
-- denominator: all people aged 60 and over (IoD2019 denominators, mid-2015)
-- ci: none
-- sources: imd2019 (imd)
-- geography: lsoa11
-- caveat: IDAOPI is the share of people aged 60 and over who are income deprived.
-- caveat: No confidence interval: every neighbourhood in England is classified, so there is no
--   sampling error to test; comparisons say how big a difference is, not whether it is
--   significant.
-- caveat: Shown only where the published IoD2019 files with the IDAOPI scores and the population
--   denominators are loaded.
-- sentence: {value} of older people in {area} live in the 10% of neighbourhoods in England most
--   deprived on IDAOPI{compare}.
SELECT lsoa_code,
       CASE WHEN idaopi_decile = 1 THEN pop_60_plus ELSE 0 END AS numerator,
       pop_60_plus AS denominator
FROM imd
WHERE edition = 2019 AND idaopi_decile IS NOT NULL AND pop_60_plus IS NOT NULL
