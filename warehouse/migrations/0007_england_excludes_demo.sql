-- England, as a comparator, never includes the synthetic demo authority
-- (E06099999 is reserved for it by `commonground demo`): with only the demo
-- loaded there is no England figure, rather than a misleading one.

CREATE OR REPLACE VIEW area_lsoas AS
    SELECT code AS area_code, level AS area_level, code AS lsoa_code, vintage AS lsoa_vintage
    FROM areas WHERE level IN ('lsoa11', 'lsoa21')
    UNION ALL
    SELECT ward_code, 'ward', code, vintage FROM areas WHERE level IN ('lsoa11', 'lsoa21') AND ward_code IS NOT NULL
    UNION ALL
    SELECT msoa_code, 'msoa21', code, vintage FROM areas WHERE level = 'lsoa21' AND msoa_code IS NOT NULL
    UNION ALL
    SELECT lad_code, 'lad', code, vintage FROM areas WHERE level IN ('lsoa11', 'lsoa21') AND lad_code IS NOT NULL
    UNION ALL
    SELECT 'E92000001', 'country', code, vintage FROM areas
    WHERE level IN ('lsoa11', 'lsoa21') AND code LIKE 'E01%' AND coalesce(lad_code, '') <> 'E06099999'
    UNION ALL
    SELECT area_code, area_level, lsoa_code, lsoa_vintage FROM area_members;
COMMENT ON VIEW area_lsoas IS 'Every area with the LSOAs it is made of (for each LSOA vintage): LSOAs themselves, wards, MSOAs and local authorities from the lookups, England (E92000001, never including the synthetic demo authority E06099999), and custom areas by best fit.';
