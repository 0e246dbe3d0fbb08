-- id: services_near_deprived
-- title: Services within a distance of the most deprived neighbourhoods in my area
-- description: For each of the area's most deprived neighbourhoods (by the Index of Multiple Deprivation 2019),
--   the open services of one type within a given distance of the neighbourhood's centre, nearest first.
--   A neighbourhood with no row has no such service within that distance.
-- group: Services
-- param: area area = E08000009 | Area | A local authority, ward or community area: type its name or code, or a postcode for its ward
-- param: service choice(SELECT DISTINCT category, upper(category[1]) || replace(category[2:], '_', ' ') FROM services WHERE status = 'open' ORDER BY 1) = gp_practice | Type of service
-- param: km double [0.1, 20] = 1 | Distance in kilometres | Straight-line distance from the centre of each neighbourhood, from 0.1 to 20
-- param: decile integer [1, 10] = 1 | Most deprived deciles | 1 means the most deprived 10% of neighbourhoods in England, 2 the most deprived 20%, and so on
-- caveat: Distances are straight lines from the neighbourhood's geometric centre, not travel distances.
-- caveat: Neighbourhoods are LSOAs (2011 boundaries), as the Index of Multiple Deprivation 2019 uses.

WITH deprived AS (
    SELECT a.code, a.name, i.imd_decile, i.imd_rank, a.centroid_lon AS clon, a.centroid_lat AS clat
    FROM area_lsoas m
    JOIN areas a ON a.code = m.lsoa_code AND a.level = 'lsoa11'
    JOIN imd i ON i.edition = 2019 AND i.lsoa_code = a.code
    WHERE m.area_code = $area AND m.lsoa_vintage = 2011 AND i.imd_decile <= $decile::INTEGER
), pairs AS (
    SELECT d.*, s.name AS service_name, s.subtype, s.address, s.postcode, s.lon, s.lat,
           2 * 6371.0088 * asin(sqrt(pow(sin(radians(s.lat - d.clat) / 2), 2)
               + cos(radians(d.clat)) * cos(radians(s.lat)) * pow(sin(radians(s.lon - d.clon) / 2), 2))) AS distance_km
    FROM deprived d
    JOIN services s ON s.category = $service AND s.status = 'open' AND s.lat IS NOT NULL
     AND abs(s.lat - d.clat) <= $km::DOUBLE / 110.0
     AND abs(s.lon - d.clon) <= $km::DOUBLE / (110.0 * cos(radians(d.clat)))
)
SELECT code AS lsoa_code, name AS lsoa_name, imd_decile, imd_rank, service_name, subtype, address, postcode,
       round(distance_km, 2) AS distance_km, lon, lat
FROM pairs
WHERE distance_km <= $km::DOUBLE
ORDER BY imd_rank, distance_km, service_name
