-- id: gaps_library_high_need_low_provision
-- title: Residents in high-need, low-provision neighbourhoods for libraries
-- definition: The share of residents who live in neighbourhoods (LSOAs) among the most deprived
--   fifth for overall deprivation (IMD) and among the furthest fifth from a library,
--   compared with England or with their local authority (docs/METHODS.md).
-- unit: %
-- polarity: higher is worse
-- rule: ratio
-- numerator: residents of LSOAs flagged high need, low provision against England or their local
--   authority
-- denominator: all residents of LSOAs where libraries are loaded
-- ci: none
-- sources: * (services), boundaries-lsoa11 (areas), population-sape (population), imd2019 (imd)
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
-- caveat: "Compared with England" ranks distance among the neighbourhoods where libraries are
--   loaded; deprivation is ranked against all of England (IMD 2019).
-- caveat: No confidence interval: the share is a count of whole neighbourhoods, not a sample.
-- sentence: {value} of residents in {area} live in neighbourhoods with high need and low
--   provision of libraries{compare}.

SELECT lsoa11_code AS lsoa_code,
       CASE WHEN flag_england OR flag_la THEN residents ELSE 0 END AS numerator,
       residents AS denominator
FROM service_access
WHERE service = 'library' AND residents IS NOT NULL
