-- id: imd2019_most_deprived_20pc
-- title: Residents in the 20% most deprived neighbourhoods (IMD 2019)
-- definition: The share of residents who live in an LSOA ranked among the 20% most deprived in
--   England on the Index of Multiple Deprivation 2019 (IMD deciles 1 and 2).
-- unit: %
-- polarity: higher is worse
-- rule: ratio
-- numerator: residents of LSOAs in deciles 1 and 2 (IoD2019 population denominators, mid-2015)
-- denominator: all residents (IoD2019 population denominators, mid-2015, excluding prisoners)
-- ci: none
-- sources: imd2019 (imd)
-- geography: lsoa11
-- caveat: Deprivation is measured for whole neighbourhoods (LSOAs), not people: not everyone in a
--   deprived neighbourhood is deprived, and many deprived people live elsewhere.
-- caveat: No confidence interval: every neighbourhood in England is classified, so there is no
--   sampling error to test; comparisons say how big a difference is, not whether it is
--   significant.
-- caveat: IMD 2019 uses 2011 LSOA boundaries and its own mid-2015 population denominators
--   (excluding prisoners).
-- sentence: {value} of residents in {area} live in the 20% most deprived neighbourhoods in
--   England{compare}.
SELECT lsoa_code,
       CASE WHEN imd_decile <= 2 THEN pop_total ELSE 0 END AS numerator,
       pop_total AS denominator
FROM imd
WHERE edition = 2019 AND imd_decile IS NOT NULL AND pop_total IS NOT NULL
