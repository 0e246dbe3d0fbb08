-- id: imd2019_score
-- title: Average deprivation score (IMD 2019)
-- definition: The mean of the Index of Multiple Deprivation 2019 scores of the area's LSOAs, each
--   weighted by its IoD2019 population (mid-2015). Higher scores are more deprived.
-- unit: score
-- polarity: higher is worse
-- rule: mean
-- weight: IoD2019 population denominators (mid-2015, excluding prisoners)
-- ci: none
-- sources: imd2019 (imd)
-- geography: lsoa11
-- caveat: IMD 2019 scores are published in IoD2019 File 7 only; Files 1 and 2 (the shared data)
--   have ranks and deciles, so without File 7 this shows no data.
-- caveat: Scores are not percentages: a score twice as high does not mean twice as deprived.
-- caveat: No confidence interval; comparisons say how big a difference is, not whether it is
--   significant.
-- sentence: The average IMD 2019 score of {area}'s neighbourhoods, weighted by population, is
--   {value}{compare}; higher scores mean more deprivation.
SELECT lsoa_code,
       imd_score AS value,
       pop_total AS weight
FROM imd
WHERE edition = 2019 AND imd_score IS NOT NULL AND pop_total IS NOT NULL
