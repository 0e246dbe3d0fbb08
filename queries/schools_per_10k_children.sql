-- id: schools_per_10k_children
-- title: Schools per 10,000 children
-- definition: Open schools located in the area (by point in polygon) per 10,000 children aged
--   0-15.
-- unit: per 10,000
-- polarity: higher is better
-- rule: ratio
-- numerator: open schools located in the area's LSOAs
-- denominator: children aged 0-15 (IoD2019 population denominators, mid-2015)
-- ci: byar
-- sources: * (services), boundaries-lsoa11 (areas), imd2019 (imd)
-- geography: lsoa11
-- caveat: Counts places, not their size: a school's pupils or a centre's sessions vary widely,
--   and children may use one in another area.
-- caveat: Computed only for LSOAs in local authorities with at least one school located in the
--   loaded data.
-- caveat: Children are the IoD2019 population denominators for ages 0-15 (mid-2015) on 2011
--   LSOA boundaries.
-- caveat: Confidence intervals (Byar's method; exact Poisson below 10) treat the count as
--   subject to chance, as Fingertips does for rates.
-- sentence: {area} has {value} schools per 10,000 children ({numerator} in all){compare}.

SELECT lsoa11_code AS lsoa_code,
       services_in_lsoa AS numerator,
       population AS denominator
FROM service_access
WHERE service = 'school' AND population IS NOT NULL
