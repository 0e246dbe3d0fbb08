-- id: imd2025_crime_score
-- title: Average Crime domain score (IMD 2025)
-- definition: The mean of the Crime domain 2025 scores of the area's LSOAs, each weighted by its
--   Census 2021 usual residents. Higher scores are more deprived.
-- unit: score
-- polarity: higher is worse
-- rule: mean
-- weight: Census 2021 usual residents of each LSOA
-- ci: none
-- sources: imd2025 (imd), population-census2021 (population)
-- geography: lsoa21
-- caveat: The Crime domain measures recorded violence, burglary, theft and criminal damage per
--   resident or dwelling at risk.
-- caveat: Scores are not percentages: a score twice as high does not mean twice as deprived.
--   Health and crime scores are standardised (0 is the LSOA average, most lie between -3 and 3).
-- caveat: No confidence interval; comparisons say how big a difference is, not whether it is
--   significant.
-- caveat: IMD 2025 scores need IoD2025 File 7 (or the derived copy); weights are Census 2021 usual
--   residents.
-- sentence: The average crime deprivation score of {area}'s neighbourhoods is {value}{compare};
--   higher means more crime, and 0 is the England LSOA average.
SELECT i.lsoa_code,
       i.crime_score AS value,
       p.population AS weight
FROM imd i
JOIN population p
  ON p.area_code = i.lsoa_code AND p.dataset = 'population-census2021' AND p.area_level = 'lsoa21'
 AND p.sex = 'persons' AND p.age_band = 'all'
WHERE i.edition = 2025 AND i.crime_score IS NOT NULL
