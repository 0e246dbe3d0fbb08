-- id: distance_childrens_centre_km
-- title: Distance to the nearest children's centre
-- definition: The straight-line distance from the centre of each LSOA to the nearest open
--   children's centre, averaged over the area's LSOAs weighted by their children aged
--   0-15.
-- unit: km
-- polarity: higher is worse
-- rule: mean
-- weight: children aged 0-15 of each LSOA (IoD2019 population denominators, mid-2015)
-- ci: none
-- sources: * (services), boundaries-lsoa11 (areas), imd2019 (imd)
-- geography: lsoa11
-- caveat: Straight-line (great-circle) distance from each LSOA's centroid, not travel distance
--   or time.
-- caveat: Computed only for LSOAs in local authorities with at least one children's centre
--   located in the loaded data (the shared data cover Trafford); centres just over a
--   boundary count.
-- caveat: No confidence interval; comparisons say how big a difference is, not whether it is
--   significant.
-- sentence: On average, children in {area} live {value} in a straight line from the nearest
--   children's centre{compare}.

SELECT lsoa11_code AS lsoa_code,
       nearest_km AS value,
       population AS weight
FROM service_access
WHERE service = 'childrens_centre' AND population IS NOT NULL
