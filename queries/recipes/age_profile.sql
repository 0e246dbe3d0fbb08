-- id: age_profile
-- title: Children and older people in each neighbourhood
-- description: For each neighbourhood in the area, the residents counted by the 2021 Census, and how many
--   and what share are children (0 to 15) and people aged 65 and over, highest share of older people first.
-- group: People
-- param: area area = E08000009 | Area | A local authority, ward or community area: type its name or code, or a postcode for its ward
-- caveat: Census 2021 counts on 2021 neighbourhood boundaries, loaded here for Greater Manchester.

SELECT m.lsoa_code, a.name AS lsoa_name,
       sum(p.population) FILTER (WHERE p.age_band = 'all') AS residents,
       sum(p.population) FILTER (WHERE p.age_band = '0-15') AS aged_0_15,
       round(100.0 * sum(p.population) FILTER (WHERE p.age_band = '0-15') / sum(p.population) FILTER (WHERE p.age_band = 'all'), 1) AS aged_0_15_pc,
       sum(p.population) FILTER (WHERE p.age_band = '65+') AS aged_65_plus,
       round(100.0 * sum(p.population) FILTER (WHERE p.age_band = '65+') / sum(p.population) FILTER (WHERE p.age_band = 'all'), 1) AS aged_65_plus_pc,
       any_value(a.geometry) AS geometry
FROM area_lsoas m
JOIN areas a ON a.code = m.lsoa_code AND a.level = 'lsoa21'
JOIN population p ON p.area_code = m.lsoa_code AND p.area_level = 'lsoa21' AND p.year = 2021 AND p.sex = 'persons'
WHERE m.area_code = $area AND m.lsoa_vintage = 2021
GROUP BY m.lsoa_code, a.name
ORDER BY aged_65_plus_pc DESC, m.lsoa_code
