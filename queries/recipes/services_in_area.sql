-- id: services_in_area
-- title: Services in my area
-- description: Every open service of one type (GP practices, pharmacies, schools, food banks and more)
--   inside the area, with its address and the neighbourhood it is in. Check the list is complete and
--   up to date before a meeting, or map it.
-- group: Services
-- param: area area = E08000009 | Area | A local authority, ward or community area: type its name or code, or a postcode for its ward
-- param: service choice(SELECT DISTINCT category, upper(category[1]) || replace(category[2:], '_', ' ') FROM services WHERE status = 'open' ORDER BY 1) = gp_practice | Type of service
-- caveat: A service is placed in a neighbourhood by the coordinates or postcode its publisher gives. Services
--   whose location could not be found are left out (see Sources for the rejected rows).

WITH lsoas AS (SELECT DISTINCT lsoa_code FROM area_lsoas WHERE area_code = $area)
SELECT s.name, s.subtype, s.address, s.postcode,
       coalesce(s.lsoa11_code, s.lsoa21_code) AS lsoa_code,
       (SELECT any_value(a.name) FROM areas a WHERE a.code = coalesce(s.lsoa11_code, s.lsoa21_code)) AS lsoa_name,
       s.dataset, s.location_source, s.lon, s.lat
FROM services s
WHERE s.category = $service AND s.status = 'open'
  AND (s.lsoa11_code IN (SELECT lsoa_code FROM lsoas) OR s.lsoa21_code IN (SELECT lsoa_code FROM lsoas))
ORDER BY s.name, s.postcode
