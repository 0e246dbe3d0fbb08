-- id: worse_than_england
-- title: Neighbourhoods worse than the England average
-- description: Neighbourhoods in the area where a deprivation score (overall, or one domain such as income,
--   health or crime) is worse than the average neighbourhood in England, worst first, with the gap.
-- group: Deprivation
-- param: area area = E08000009 | Area | A local authority, ward or community area: type its name or code, or a postcode for its ward
-- param: domain choice(SELECT * FROM (VALUES ('imd', 'Overall deprivation (IMD score)'), ('income', 'Income'), ('employment', 'Employment'), ('education', 'Education, skills and training'), ('health', 'Health and disability'), ('crime', 'Crime'), ('housing', 'Barriers to housing and services'), ('environment', 'Living environment')) AS v(value, label)) = income | Score
-- caveat: Scores from the English Indices of Deprivation 2025, on 2021 neighbourhoods (loaded for Greater
--   Manchester). The England average is the plain mean over all 33,755 neighbourhoods, not weighted by population.
-- caveat: In every domain a higher score means more deprived.

WITH scores AS (
    SELECT lsoa_code, imd_decile,
           CASE $domain WHEN 'imd' THEN imd_score WHEN 'income' THEN income_score WHEN 'employment' THEN employment_score
               WHEN 'education' THEN education_score WHEN 'health' THEN health_score WHEN 'crime' THEN crime_score
               WHEN 'housing' THEN housing_score WHEN 'environment' THEN environment_score END AS score
    FROM imd WHERE edition = 2025
), england AS (
    SELECT avg(score) AS average FROM scores
)
SELECT s.lsoa_code, a.name AS lsoa_name, round(s.score, 3) AS score, round(e.average, 3) AS england_average,
       round(s.score - e.average, 3) AS worse_by, s.imd_decile, a.geometry
FROM area_lsoas m
JOIN scores s ON s.lsoa_code = m.lsoa_code
JOIN areas a ON a.code = s.lsoa_code AND a.level = 'lsoa21'
CROSS JOIN england e
WHERE m.area_code = $area AND m.lsoa_vintage = 2021 AND s.score > e.average
ORDER BY s.score DESC, s.lsoa_code
