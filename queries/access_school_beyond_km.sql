-- id: access_school_beyond_km
-- title: Children more than 3.2 km from a school
-- definition: The share of children aged 0-15 who live in neighbourhoods (LSOAs) whose centre
--   is more than 3.2 km in a straight line from the nearest open school.
-- unit: %
-- polarity: higher is worse
-- rule: ratio
-- numerator: children aged 0-15 of LSOAs whose centre is more than 3.2 km from the nearest
--   school
-- denominator: all children aged 0-15
-- ci: none
-- sources: * (services), boundaries-lsoa11 (areas), imd2019 (imd)
-- geography: lsoa11
-- caveat: Straight-line (great-circle) distance from each LSOA's centroid, not travel distance
--   or time, and not where each resident lives.
-- caveat: Computed only for LSOAs in local authorities with at least one school located in the
--   loaded data; schools just over a boundary count; near the edge of the loaded data the
--   nearest may be missing, which overstates distances.
-- caveat: A service located by postcode is placed at the postcode's centre, so its distance is
--   approximate; a service missing from the data looks like a gap.
-- caveat: Children are the IoD2019 population denominators for ages 0-15 (mid-2015) on 2011
--   LSOA boundaries.
-- caveat: No confidence interval: the share is a count of whole neighbourhoods, not a sample.
-- sentence: {value} of children aged 0-15 in {area} live in neighbourhoods more than 3.2 km
--   from the nearest school{compare}.

SELECT lsoa11_code AS lsoa_code,
       CASE WHEN beyond_threshold THEN population ELSE 0 END AS numerator,
       population AS denominator
FROM service_access
WHERE service = 'school' AND population IS NOT NULL
