-- id: neighbourhoods_far_from_service
-- title: Neighbourhoods far from a service
-- description: Neighbourhoods in the area whose nearest open service of one type is further than a given
--   distance, with the nearest one, how far it is, how many people live there and how deprived it is.
--   Useful evidence for where a new service, outreach or transport is most needed.
-- group: Services
-- param: area area = E08000009 | Area | A local authority, ward or community area: type its name or code, or a postcode for its ward
-- param: service choice(SELECT DISTINCT category, upper(category[1]) || replace(category[2:], '_', ' ') FROM services WHERE status = 'open' ORDER BY 1) = pharmacy | Type of service
-- param: km double [0.1, 20] = 1 | Distance in kilometres | Neighbourhoods whose nearest service is further than this, in a straight line
-- caveat: Distances are straight lines from the neighbourhood's geometric centre, not travel distances.
--   Services more than about 30 km away are not searched: such a neighbourhood shows no nearest service.
-- caveat: A service just across the area's border counts: residents can use it.

WITH lsoas AS (
    SELECT a.code, a.name, a.population, a.centroid_lon AS clon, a.centroid_lat AS clat, a.geometry
    FROM area_lsoas m JOIN areas a ON a.code = m.lsoa_code AND a.level = 'lsoa11'
    WHERE m.area_code = $area AND m.lsoa_vintage = 2011
), nearest AS (
    SELECT l.code,
           min(2 * 6371.0088 * asin(sqrt(pow(sin(radians(s.lat - l.clat) / 2), 2)
               + cos(radians(l.clat)) * cos(radians(s.lat)) * pow(sin(radians(s.lon - l.clon) / 2), 2)))) AS km,
           arg_min(s.name, 2 * 6371.0088 * asin(sqrt(pow(sin(radians(s.lat - l.clat) / 2), 2)
               + cos(radians(l.clat)) * cos(radians(s.lat)) * pow(sin(radians(s.lon - l.clon) / 2), 2)))) AS service
    FROM lsoas l
    JOIN services s ON s.category = $service AND s.status = 'open' AND s.lat IS NOT NULL
     AND abs(s.lat - l.clat) <= 0.27 AND abs(s.lon - l.clon) <= 0.45
    GROUP BY l.code
)
SELECT l.code AS lsoa_code, l.name AS lsoa_name, l.population, i.imd_decile,
       n.service AS nearest_service, round(n.km, 2) AS nearest_km, l.geometry
FROM lsoas l
LEFT JOIN nearest n ON n.code = l.code
LEFT JOIN imd i ON i.edition = 2019 AND i.lsoa_code = l.code
WHERE n.km IS NULL OR n.km > $km::DOUBLE
ORDER BY n.km DESC NULLS FIRST, l.code
