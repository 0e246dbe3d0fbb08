-- Which LSOAs make up each area: the basis of every aggregation.

CREATE TABLE area_members (
    area_code        VARCHAR NOT NULL,
    area_level       VARCHAR NOT NULL,
    lsoa_code        VARCHAR NOT NULL,
    lsoa_vintage     INTEGER NOT NULL,
    population       BIGINT,
    population_share DOUBLE,
    method           VARCHAR NOT NULL
);
COMMENT ON TABLE area_members IS 'LSOAs that make up a custom area, by best fit: an LSOA belongs to the area when its population-weighted centroid (or, failing that, its geometric centroid) lies inside the area''s boundary, as ONS builds its best-fit lookups.';
COMMENT ON COLUMN area_members.population_share IS 'Share of the area''s population this LSOA carries (0–1).';
COMMENT ON COLUMN area_members.method IS 'best_fit_pwc (population-weighted centroid) or best_fit_centroid (geometric centroid).';

CREATE VIEW area_lsoas AS
    SELECT code AS area_code, level AS area_level, code AS lsoa_code, vintage AS lsoa_vintage
    FROM areas WHERE level IN ('lsoa11', 'lsoa21')
    UNION ALL
    SELECT ward_code, 'ward', code, vintage FROM areas WHERE level IN ('lsoa11', 'lsoa21') AND ward_code IS NOT NULL
    UNION ALL
    SELECT msoa_code, 'msoa21', code, vintage FROM areas WHERE level = 'lsoa21' AND msoa_code IS NOT NULL
    UNION ALL
    SELECT lad_code, 'lad', code, vintage FROM areas WHERE level IN ('lsoa11', 'lsoa21') AND lad_code IS NOT NULL
    UNION ALL
    SELECT 'E92000001', 'country', code, vintage FROM areas WHERE level IN ('lsoa11', 'lsoa21') AND code LIKE 'E01%'
    UNION ALL
    SELECT area_code, area_level, lsoa_code, lsoa_vintage FROM area_members;
COMMENT ON VIEW area_lsoas IS 'Every area with the LSOAs it is made of (for each LSOA vintage): LSOAs themselves, wards, MSOAs and local authorities from the lookups, England (E92000001), and custom areas by best fit.';
