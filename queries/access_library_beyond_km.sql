-- id: access_library_beyond_km
-- title: Residents more than 2 km from a library
-- definition: The share of residents who live in neighbourhoods (LSOAs) whose centre is more
--   than 2 km in a straight line from the nearest open library.
-- unit: %
-- polarity: higher is worse
-- rule: ratio
-- numerator: residents of LSOAs whose centre is more than 2 km from the nearest library
-- denominator: all residents
-- ci: none
-- sources: * (services), boundaries-lsoa11 (areas), population-sape (population)
-- geography: lsoa11
-- caveat: Straight-line (great-circle) distance from each LSOA's centroid, not travel distance
--   or time, and not where each resident lives.
-- caveat: Computed only for LSOAs in local authorities with at least one library located in the
--   loaded data; libraries just over a boundary count; near the edge of the loaded data
--   the nearest may be missing, which overstates distances.
-- caveat: A service located by postcode is placed at the postcode's centre, so its distance is
--   approximate; a service missing from the data looks like a gap.
-- caveat: Residents are the ONS mid-2017 estimates on 2011 LSOA boundaries (2011 LSOAs are the
--   boundaries loaded for all of England).
-- caveat: No confidence interval: the share is a count of whole neighbourhoods, not a sample.
-- sentence: {value} of residents in {area} live in neighbourhoods more than 2 km from the
--   nearest library{compare}.

SELECT lsoa11_code AS lsoa_code,
       CASE WHEN beyond_threshold THEN population ELSE 0 END AS numerator,
       population AS denominator
FROM service_access
WHERE service = 'library' AND population IS NOT NULL
