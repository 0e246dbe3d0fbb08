-- id: pharmacies_per_10k
-- title: Pharmacies per 10,000 residents
-- definition: Open pharmacies located in the area (by point in polygon) per 10,000 residents.
-- unit: per 10,000
-- polarity: higher is better
-- rule: ratio
-- numerator: open pharmacies located in the area's LSOAs
-- denominator: residents (ONS mid-2017 estimate)
-- ci: byar
-- sources: * (services), population-sape (population)
-- geography: lsoa11
-- caveat: Counts community pharmacies open in the loaded data; opening hours and services differ.
-- caveat: Computed only for LSOAs in local authorities with at least one pharmacy in the loaded
--   data, so that an authority with no pharmacies loaded shows no data rather than zero.
-- caveat: A pharmacy listed by two loaded datasets (a national list and a local one) is counted
--   once, by its publisher's code (ODS code or URN), or by name and place (to about 1 km) when one list has no code.
-- caveat: Residents are the ONS mid-2017 estimates on 2011 LSOA boundaries (2011 LSOAs are the
--   boundaries loaded for all of England).
-- caveat: Confidence intervals (Byar's method; exact Poisson below 10) treat the number of
--   pharmacies as a count subject to chance, as Fingertips does for rates.
-- sentence: {area} has {value} pharmacies per 10,000 residents ({numerator} in all){compare}.

-- The same pharmacy can come from two datasets (a national list and a local one): it is
-- counted once, where its best location puts it.
WITH svc AS (
    SELECT s.lsoa11_code AS lsoa_code, a.lad_code
    FROM services s JOIN areas a ON a.level = 'lsoa11' AND a.code = s.lsoa11_code
    -- A service without a publisher's code that another list gives with one
    -- (same category and name, within 0.01 degrees (about 1 km), as the map counts them, e.g. a council's GP list beside
    -- NHS Digital's) takes that code, so the two count once. (The CASE keeps it a
    -- hash join: a condition on s alone in ON made it a nested loop, 30 times slower.)
    LEFT JOIN (SELECT category, upper(regexp_replace(name, '[^A-Za-z0-9]', '', 'g')) AS name_key,
                      round(lon, 2) AS lon_key, round(lat, 2) AS lat_key, min(source_id) AS source_id
               FROM services WHERE source_id IS NOT NULL AND name IS NOT NULL AND lon IS NOT NULL AND lat IS NOT NULL GROUP BY ALL) d
      ON d.category = s.category AND d.lon_key = CASE WHEN s.source_id IS NULL THEN round(s.lon, 2) END AND d.lat_key = round(s.lat, 2)
     AND d.name_key = upper(regexp_replace(s.name, '[^A-Za-z0-9]', '', 'g'))
    WHERE s.category = 'pharmacy' AND s.status = 'open'
    QUALIFY row_number() OVER (
        PARTITION BY coalesce(s.source_id, d.source_id, s.id)
        ORDER BY CASE s.location_source WHEN 'given' THEN 0 WHEN 'bng' THEN 1 WHEN 'polygon_centroid' THEN 2 ELSE 3 END, s.id) = 1
),
covered AS (SELECT DISTINCT lad_code FROM svc WHERE lad_code IS NOT NULL),
counts AS (SELECT lsoa_code, count(*) AS n FROM svc GROUP BY lsoa_code)
SELECT a.code AS lsoa_code,
       coalesce(c.n, 0) AS numerator,
       p.population AS denominator
FROM areas a
JOIN covered USING (lad_code)
JOIN population p
  ON p.area_code = a.code AND p.dataset = 'population-sape' AND p.area_level = 'lsoa11'
 AND p.year = 2017 AND p.sex = 'persons' AND p.age_band = 'all'
LEFT JOIN counts c ON c.lsoa_code = a.code
WHERE a.level = 'lsoa11'
