-- Public services located on the geography backbone.

CREATE TABLE services (
    id              VARCHAR NOT NULL,
    dataset         VARCHAR NOT NULL,
    category        VARCHAR NOT NULL,
    subtype         VARCHAR,
    source_id       VARCHAR,
    name            VARCHAR,
    address         VARCHAR,
    postcode        VARCHAR,
    lon             DOUBLE,
    lat             DOUBLE,
    location_source VARCHAR NOT NULL,
    opened          DATE,
    closed          DATE,
    status          VARCHAR NOT NULL,
    lsoa11_code     VARCHAR,
    lsoa21_code     VARCHAR,
    ward_code       VARCHAR,
    lad_code        VARCHAR,
    source_file     VARCHAR,
    source_line     BIGINT,
    attributes      VARCHAR
);
COMMENT ON TABLE services IS 'Public services (GP practices, pharmacies, schools, libraries, food banks and more), one row per service, located and assigned to LSOA, ward and local authority by point in polygon.';
COMMENT ON COLUMN services.id IS 'Stable id: dataset and the publisher''s own code where there is one (gp-practices:A81001), else dataset, file and line.';
COMMENT ON COLUMN services.category IS 'gp_practice, pharmacy, school, library, food_bank, dentist, jobcentre, post_office, childrens_centre, allotment, place_of_worship, sports_facility, charity.';
COMMENT ON COLUMN services.subtype IS 'Finer type where the source has one (school phase, library type, dispensing setting).';
COMMENT ON COLUMN services.source_id IS 'The publisher''s code: ODS code, URN, charity number, OSM id.';
COMMENT ON COLUMN services.location_source IS 'Where lon/lat came from: given (WGS84 in the source), bng (British National Grid easting/northing, converted), postcode (postcode centroid from the postcodes table: approximate), polygon_centroid (a building outline), or unlocated.';
COMMENT ON COLUMN services.status IS 'open or closed. Only active GP practices (status A, prescribing setting 4) are open GP services.';
COMMENT ON COLUMN services.lsoa11_code IS 'LSOA 2011 containing the point (point in polygon against loaded boundaries).';
COMMENT ON COLUMN services.lsoa21_code IS 'LSOA 2021 containing the point.';
COMMENT ON COLUMN services.ward_code IS 'Electoral ward containing the point.';
COMMENT ON COLUMN services.lad_code IS 'Local authority containing the point (or from the LSOA''s parent).';
COMMENT ON COLUMN services.attributes IS 'Other source fields as a JSON object (opening hours, phone, pupils, Ofsted rating…).';
