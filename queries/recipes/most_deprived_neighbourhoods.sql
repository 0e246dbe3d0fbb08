-- id: most_deprived_neighbourhoods
-- title: The most deprived neighbourhoods in my area
-- description: The area's neighbourhoods ranked by the Index of Multiple Deprivation, most deprived first,
--   with where each stands in England and its income, employment, health and crime deciles.
--   Decile 1 means the most deprived 10% of neighbourhoods in England.
-- group: Deprivation
-- param: area area = E08000009 | Area | A local authority, ward or community area: type its name or code, or a postcode for its ward
-- param: edition choice(2019, 2025) = 2019 | Edition of the Index | 2019 uses 2011 neighbourhoods (all England here); 2025 uses 2021 neighbourhoods (loaded for Greater Manchester)
-- param: limit integer [1, 1000] = 20 | How many neighbourhoods
-- caveat: Ranks compare neighbourhoods with each other; they do not say how much worse one is than another.

SELECT i.lsoa_code, coalesce(a.name, i.lsoa_name) AS lsoa_name, i.imd_rank, i.imd_decile,
       round(100.0 * i.imd_rank / (SELECT count(*) FROM imd e WHERE e.edition = i.edition), 1) AS england_percentile,
       i.income_decile, i.employment_decile, i.health_decile, i.crime_decile, a.population, a.geometry
FROM area_lsoas m
JOIN imd i ON i.lsoa_code = m.lsoa_code AND i.lsoa_vintage = m.lsoa_vintage AND i.edition = $edition::INTEGER
LEFT JOIN areas a ON a.code = i.lsoa_code AND a.level = CASE i.lsoa_vintage WHEN 2011 THEN 'lsoa11' ELSE 'lsoa21' END
WHERE m.area_code = $area
ORDER BY i.imd_rank, i.lsoa_code
LIMIT $limit::BIGINT
