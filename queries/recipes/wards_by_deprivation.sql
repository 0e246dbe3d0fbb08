-- id: wards_by_deprivation
-- title: Wards ranked by their share of deprived neighbourhoods
-- description: The wards of a local authority, ranked by the share of their neighbourhoods among the most
--   deprived in England (Index of Multiple Deprivation 2019), with residents and neighbourhood counts.
-- group: Deprivation
-- param: council area(lad) = E08000009 | Local authority | Type its name or its code, for example Blackpool or E06000009
-- param: decile integer [1, 10] = 2 | Most deprived deciles | 2 counts neighbourhoods in the most deprived 20% of England
-- caveat: Neighbourhoods are LSOAs (2011) placed in wards by the ONS best-fit lookup, so wards are those of
--   that lookup; where a council's wards have changed since, the map shape may be missing.

WITH lsoas AS (
    SELECT a.code, a.ward_code, a.population, i.imd_decile
    FROM areas a JOIN imd i ON i.edition = 2019 AND i.lsoa_code = a.code
    WHERE a.level = 'lsoa11' AND a.lad_code = $council AND a.ward_code IS NOT NULL
), wards AS (
    SELECT ward_code, count(*) AS neighbourhoods,
           count(*) FILTER (WHERE imd_decile <= $decile::INTEGER) AS most_deprived,
           sum(population) AS residents
    FROM lsoas GROUP BY ward_code
)
SELECT w.ward_code,
       coalesce((SELECT name FROM areas x WHERE x.level = 'ward' AND x.code = w.ward_code ORDER BY vintage DESC LIMIT 1),
                (SELECT any_value(ward_name) FROM lookup_lsoa_ward_lad k WHERE k.ward_code = w.ward_code)) AS ward_name,
       w.neighbourhoods, w.most_deprived, round(100.0 * w.most_deprived / w.neighbourhoods, 1) AS most_deprived_pc, w.residents,
       (SELECT geometry FROM areas x WHERE x.level = 'ward' AND x.code = w.ward_code ORDER BY vintage DESC LIMIT 1) AS geometry
FROM wards w
ORDER BY most_deprived_pc DESC, w.most_deprived DESC, ward_name
