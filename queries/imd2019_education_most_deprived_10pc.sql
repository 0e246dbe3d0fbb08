-- id: imd2019_education_most_deprived_10pc
-- title: Residents in the 10% most deprived neighbourhoods for education, skills and training (IMD
--   2019)
-- definition: The share of residents who live in an LSOA ranked among the 10% most deprived in
--   England on the Education, Skills and Training domain of the English Indices of Deprivation
--   2019 (decile 1 of the domain).
-- unit: %
-- polarity: higher is worse
-- rule: ratio
-- numerator: residents of LSOAs in decile 1 (IoD2019 population denominators, mid-2015)
-- denominator: all residents (IoD2019 population denominators, mid-2015, excluding prisoners)
-- ci: none
-- sources: imd2019 (imd)
-- geography: lsoa11
-- caveat: Deprivation is measured for whole neighbourhoods (LSOAs), not people: not everyone in a
--   deprived neighbourhood is deprived, and many deprived people live elsewhere.
-- caveat: The Education domain combines children's attainment and adults' qualifications and
--   English proficiency.
-- caveat: No confidence interval: every neighbourhood in England is classified, so there is no
--   sampling error to test; comparisons say how big a difference is, not whether it is
--   significant.
-- caveat: IMD 2019 uses 2011 LSOA boundaries and its own mid-2015 population denominators
--   (excluding prisoners).
-- sentence: {value} of residents in {area} live in the 10% of neighbourhoods in England most
--   deprived for education, skills and training{compare}.
SELECT lsoa_code,
       CASE WHEN education_decile <= 1 THEN pop_total ELSE 0 END AS numerator,
       pop_total AS denominator
FROM imd
WHERE edition = 2019 AND education_decile IS NOT NULL AND pop_total IS NOT NULL
