-- id: distance_pharmacy_km
-- title: Distance to the nearest pharmacy
-- definition: The straight-line distance from the centre of each LSOA to the nearest open
--   pharmacy, averaged over the area's LSOAs weighted by their residents: how far, on average, a
--   resident lives from a pharmacy.
-- unit: km
-- polarity: higher is worse
-- rule: mean
-- weight: residents of each LSOA (ONS mid-2017 estimate)
-- ci: none
-- sources: * (services), boundaries-lsoa11 (areas), population-sape (population)
-- geography: lsoa11
-- caveat: Straight-line (great-circle) distance, not travel distance or time.
-- caveat: Measured from each LSOA's geometric centroid, not its population-weighted centroid, so
--   rural LSOAs with one village and much farmland can look further away than their residents are.
-- caveat: Computed only for LSOAs in local authorities with at least one pharmacy in the loaded
--   data, so that an authority with no pharmacies loaded shows no data rather than zero.
--   Pharmacies just over the boundary count if they are loaded; near the edge of the loaded data
--   the nearest may be missing, which overstates distances.
-- caveat: Residents are the ONS mid-2017 estimates on 2011 LSOA boundaries (2011 LSOAs are the
--   boundaries loaded for all of England).
-- caveat: No confidence interval; comparisons say how big a difference is, not whether it is
--   significant.
-- sentence: On average, residents of {area} live {value} in a straight line from the nearest
--   pharmacy{compare}.

-- Nearest service by a grid: services are bucketed into cells of 0.1 degree of latitude by
-- 0.15 of longitude; an LSOA looks in its own cell and the eight around it, which holds every
-- service within 9 km anywhere in England (a cell is at least 9.38 km wide at 55.9 degrees
-- north). LSOAs whose nearest candidate is further than 9 km, or that have none, are measured
-- against every service.
WITH svc AS (
    SELECT s.lon, s.lat, a.lad_code,
           floor(s.lat / 0.1)::INTEGER AS cy, floor(s.lon / 0.15)::INTEGER AS cx
    FROM services s LEFT JOIN areas a ON a.level = 'lsoa11' AND a.code = s.lsoa11_code
    -- A service without a publisher's code that another list gives with one
    -- (same category and name, within 0.01 degrees (about 1 km), as the map counts them, e.g. a council's GP list beside
    -- NHS Digital's) takes that code, so the two count once. (The CASE keeps it a
    -- hash join: a condition on s alone in ON made it a nested loop, 30 times slower.)
    LEFT JOIN (SELECT category, upper(regexp_replace(name, '[^A-Za-z0-9]', '', 'g')) AS name_key,
                      round(lon, 2) AS lon_key, round(lat, 2) AS lat_key, min(source_id) AS source_id
               FROM services WHERE source_id IS NOT NULL AND name IS NOT NULL AND lon IS NOT NULL AND lat IS NOT NULL GROUP BY ALL) d
      ON d.category = s.category AND d.lon_key = CASE WHEN s.source_id IS NULL THEN round(s.lon, 2) END AND d.lat_key = round(s.lat, 2)
     AND d.name_key = upper(regexp_replace(s.name, '[^A-Za-z0-9]', '', 'g'))
    WHERE s.category = 'pharmacy' AND s.status = 'open' AND s.lon IS NOT NULL AND s.lat IS NOT NULL
    -- One location per pharmacy listed by two datasets: the best one.
    QUALIFY row_number() OVER (
        PARTITION BY coalesce(s.source_id, d.source_id, s.id)
        ORDER BY CASE s.location_source WHEN 'given' THEN 0 WHEN 'bng' THEN 1 WHEN 'polygon_centroid' THEN 2 ELSE 3 END, s.id) = 1
),
covered AS (SELECT DISTINCT lad_code FROM svc WHERE lad_code IS NOT NULL),
lsoa AS (
    SELECT a.code AS lsoa_code, a.centroid_lon AS lon, a.centroid_lat AS lat,
           floor(a.centroid_lat / 0.1)::INTEGER AS cy, floor(a.centroid_lon / 0.15)::INTEGER AS cx
    FROM areas a JOIN covered USING (lad_code)
    WHERE a.level = 'lsoa11' AND a.centroid_lon IS NOT NULL AND a.centroid_lat IS NOT NULL
),
-- The nine cells around each LSOA, as keys for an equi-join.
cells AS (
    SELECT l.lsoa_code, l.lon, l.lat, (l.cy + dy.d)::INTEGER AS cy, (l.cx + dx.d)::INTEGER AS cx
    FROM lsoa l CROSS JOIN range(-1, 2) AS dy(d) CROSS JOIN range(-1, 2) AS dx(d)
),
near AS (
    SELECT c.lsoa_code,
           min(2 * 6371.0088 * asin(sqrt(
               pow(sin(radians(s.lat - c.lat) / 2), 2)
               + cos(radians(c.lat)) * cos(radians(s.lat)) * pow(sin(radians(s.lon - c.lon) / 2), 2)))) AS km
    FROM cells c JOIN svc s ON s.cy = c.cy AND s.cx = c.cx
    GROUP BY c.lsoa_code
),
far_lsoa AS MATERIALIZED (
    SELECT l.* FROM lsoa l ANTI JOIN (SELECT lsoa_code FROM near WHERE km <= 9) n USING (lsoa_code)
),
far AS (
    SELECT l.lsoa_code,
           min(2 * 6371.0088 * asin(sqrt(
               pow(sin(radians(s.lat - l.lat) / 2), 2)
               + cos(radians(l.lat)) * cos(radians(s.lat)) * pow(sin(radians(s.lon - l.lon) / 2), 2)))) AS km
    FROM far_lsoa l CROSS JOIN svc s
    GROUP BY l.lsoa_code
),
nearest AS (
    SELECT lsoa_code, km FROM near WHERE km <= 9
    UNION ALL
    SELECT lsoa_code, km FROM far
)
SELECT n.lsoa_code,
       n.km AS value,
       p.population AS weight
FROM nearest n
JOIN population p
  ON p.area_code = n.lsoa_code AND p.dataset = 'population-sape' AND p.area_level = 'lsoa11'
 AND p.year = 2017 AND p.sex = 'persons' AND p.age_band = 'all'
