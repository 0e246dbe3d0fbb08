-- id: imd2025_education_score
-- title: Average Education, Skills and Training domain score (IMD 2025)
-- definition: The mean of the Education, Skills and Training domain 2025 scores of the area's
--   LSOAs, each weighted by its Census 2021 usual residents. Higher scores are more deprived.
-- unit: score
-- polarity: higher is worse
-- rule: mean
-- weight: Census 2021 usual residents of each LSOA
-- ci: none
-- sources: imd2025 (imd), population-census2021 (population)
-- geography: lsoa21
-- caveat: The Education domain combines children's attainment and adults' qualifications and
--   English proficiency.
-- caveat: Scores are not percentages: a score twice as high does not mean twice as deprived.
--   Health and crime scores are standardised (0 is the LSOA average, most lie between -3 and 3).
-- caveat: No confidence interval; comparisons say how big a difference is, not whether it is
--   significant.
-- caveat: IMD 2025 scores need IoD2025 File 7 (or the derived copy); weights are Census 2021 usual
--   residents.
-- sentence: The average education, skills and training deprivation score of {area}'s
--   neighbourhoods is {value}{compare}; higher means more deprived.
SELECT i.lsoa_code,
       i.education_score AS value,
       p.population AS weight
FROM imd i
JOIN population p
  ON p.area_code = i.lsoa_code AND p.dataset = 'population-census2021' AND p.area_level = 'lsoa21'
 AND p.sex = 'persons' AND p.age_band = 'all'
WHERE i.edition = 2025 AND i.education_score IS NOT NULL
