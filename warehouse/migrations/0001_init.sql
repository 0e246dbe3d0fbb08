-- Provenance, the catalogue, and the geography backbone.
-- Column comments are the schema documentation (docs/SCHEMA.md is generated from them).

CREATE TABLE datasets (
    id          VARCHAR NOT NULL,
    title       VARCHAR NOT NULL,
    publisher   VARCHAR,
    licence     VARCHAR,
    attribution VARCHAR,
    source_url  VARCHAR,
    format      VARCHAR,
    geography   VARCHAR,
    vintage     VARCHAR,
    table_name  VARCHAR,
    description VARCHAR
);
COMMENT ON TABLE datasets IS 'The catalogue: one row per dataset Commonground knows how to load, with its publisher, licence and required attribution.';
COMMENT ON COLUMN datasets.id IS 'Catalogue id, as used by `commonground ingest ID`.';
COMMENT ON COLUMN datasets.attribution IS 'Attribution text the licence requires wherever the data is shown.';
COMMENT ON COLUMN datasets.source_url IS 'Official download URL(s), one per line.';
COMMENT ON COLUMN datasets.table_name IS 'Warehouse table the dataset loads into.';

CREATE SEQUENCE ingest_run_seq START 1;
CREATE TABLE ingest_runs (
    run_id        BIGINT NOT NULL,
    dataset       VARCHAR NOT NULL,
    source        VARCHAR,
    sha256        VARCHAR,
    bytes         BIGINT,
    started_at    TIMESTAMP NOT NULL,
    finished_at   TIMESTAMP,
    rows_loaded   BIGINT,
    rows_rejected BIGINT,
    status        VARCHAR NOT NULL,
    error         VARCHAR,
    warnings      VARCHAR,
    synthetic     BOOLEAN NOT NULL DEFAULT false,
    tool_version  VARCHAR
);
COMMENT ON TABLE ingest_runs IS 'One row per ingest run: what was loaded, from where, and how it went.';
COMMENT ON COLUMN ingest_runs.source IS 'URL or local path of each source file, one per line.';
COMMENT ON COLUMN ingest_runs.sha256 IS 'sha256 of the source file; for several files, sha256 of their sha256s in order.';
COMMENT ON COLUMN ingest_runs.bytes IS 'Total size of the source files as fetched (compressed size for .gz/.zip).';
COMMENT ON COLUMN ingest_runs.status IS 'running, ok, failed, or interrupted (the process was killed; the previous data was kept).';
COMMENT ON COLUMN ingest_runs.warnings IS 'Checks that did not pass but did not stop the load, one per line.';
COMMENT ON COLUMN ingest_runs.synthetic IS 'True for the generated Exampleton demo data.';

CREATE TABLE ingest_files (
    run_id        BIGINT NOT NULL,
    dataset       VARCHAR NOT NULL,
    file          VARCHAR NOT NULL,
    source        VARCHAR,
    kind          VARCHAR,
    sha256        VARCHAR,
    bytes         BIGINT,
    encoding      VARCHAR,
    data_lines    BIGINT,
    rows_loaded   BIGINT,
    rows_rejected BIGINT
);
COMMENT ON TABLE ingest_files IS 'Each file read by an ingest run, with what the reader found: file kind, text encoding, data lines, rows loaded and rejected.';
COMMENT ON COLUMN ingest_files.kind IS 'Which layout of the dataset the file was recognised as, by its header.';
COMMENT ON COLUMN ingest_files.data_lines IS 'Data lines (or features) in the file; equals rows_loaded + rows_rejected.';

CREATE TABLE ingest_rejects (
    run_id  BIGINT NOT NULL,
    dataset VARCHAR NOT NULL,
    file    VARCHAR NOT NULL,
    line    BIGINT,
    "column" VARCHAR,
    value   VARCHAR,
    reason  VARCHAR NOT NULL
);
COMMENT ON TABLE ingest_rejects IS 'Rows that could not be loaded, with file, line, column, value and reason. Kept for the latest successful run of each dataset and any failed runs after it.';

CREATE TABLE areas (
    code          VARCHAR NOT NULL,
    name          VARCHAR,
    level         VARCHAR NOT NULL,
    vintage       INTEGER,
    lad_code      VARCHAR,
    ward_code     VARCHAR,
    msoa_code     VARCHAR,
    geometry      BLOB,
    minx          DOUBLE,
    miny          DOUBLE,
    maxx          DOUBLE,
    maxy          DOUBLE,
    centroid_lon  DOUBLE,
    centroid_lat  DOUBLE,
    population    BIGINT,
    population_year INTEGER,
    dataset       VARCHAR
);
COMMENT ON TABLE areas IS 'Every geography in one table: LSOAs (2011 and 2021), MSOAs, wards, local authorities, and custom areas. Geometry is WKB in WGS84 lon/lat.';
COMMENT ON COLUMN areas.code IS 'ONS GSS code (E01… LSOA, E02… MSOA, E05… ward, E06–E09… local authority); generated for custom areas.';
COMMENT ON COLUMN areas.level IS 'lsoa11, lsoa21, msoa21, ward, lad or custom.';
COMMENT ON COLUMN areas.vintage IS 'Year of the boundary set.';
COMMENT ON COLUMN areas.lad_code IS 'Parent local authority code (latest lookup where loaded, otherwise from the boundary file).';
COMMENT ON COLUMN areas.ward_code IS 'Parent electoral ward (best fit, from the LSOA→ward lookup).';
COMMENT ON COLUMN areas.msoa_code IS 'Parent MSOA (from the OA lookup).';
COMMENT ON COLUMN areas.geometry IS 'Boundary as WKB (Polygon or MultiPolygon, lon/lat WGS84).';
COMMENT ON COLUMN areas.minx IS 'Bounding box west edge (longitude); with miny, maxx, maxy for fast spatial filters.';
COMMENT ON COLUMN areas.centroid_lon IS 'Area-weighted geometric centroid longitude.';
COMMENT ON COLUMN areas.population IS 'Resident population from the latest loaded estimate for this geography (see population_year).';
COMMENT ON COLUMN areas.dataset IS 'Catalogue id the boundary came from.';

CREATE TABLE imd (
    edition          INTEGER NOT NULL,
    lsoa_code        VARCHAR NOT NULL,
    lsoa_vintage     INTEGER NOT NULL,
    lsoa_name        VARCHAR,
    lad_code         VARCHAR,
    lad_name         VARCHAR,
    imd_score        DOUBLE,
    imd_rank         INTEGER,
    imd_decile       INTEGER,
    income_score     DOUBLE,
    income_rank      INTEGER,
    income_decile    INTEGER,
    employment_score DOUBLE,
    employment_rank  INTEGER,
    employment_decile INTEGER,
    education_score  DOUBLE,
    education_rank   INTEGER,
    education_decile INTEGER,
    health_score     DOUBLE,
    health_rank      INTEGER,
    health_decile    INTEGER,
    crime_score      DOUBLE,
    crime_rank       INTEGER,
    crime_decile     INTEGER,
    housing_score    DOUBLE,
    housing_rank     INTEGER,
    housing_decile   INTEGER,
    environment_score DOUBLE,
    environment_rank INTEGER,
    environment_decile INTEGER,
    idaci_score      DOUBLE,
    idaci_rank       INTEGER,
    idaci_decile     INTEGER,
    idaopi_score     DOUBLE,
    idaopi_rank      INTEGER,
    idaopi_decile    INTEGER,
    pop_total        BIGINT,
    pop_0_15         BIGINT,
    pop_16_59        BIGINT,
    pop_60_plus      BIGINT,
    pop_working_age  BIGINT
);
COMMENT ON TABLE imd IS 'English Indices of Deprivation, one row per LSOA per edition (2019 on LSOA 2011, 2025 on LSOA 2021). Rank 1 is the most deprived; decile 1 is the most deprived 10% of LSOAs in England.';
COMMENT ON COLUMN imd.edition IS '2019 or 2025.';
COMMENT ON COLUMN imd.lsoa_vintage IS 'LSOA boundary set the edition uses: 2011 for IoD2019, 2021 for IoD2025.';
COMMENT ON COLUMN imd.imd_score IS 'Index of Multiple Deprivation score (higher is more deprived); NULL where the loaded files do not publish it.';
COMMENT ON COLUMN imd.imd_rank IS 'IMD rank among all LSOAs in England (1 = most deprived).';
COMMENT ON COLUMN imd.imd_decile IS 'IMD decile (1 = most deprived 10%).';
COMMENT ON COLUMN imd.housing_rank IS 'Barriers to Housing and Services domain.';
COMMENT ON COLUMN imd.environment_rank IS 'Living Environment domain.';
COMMENT ON COLUMN imd.idaci_rank IS 'Income Deprivation Affecting Children Index.';
COMMENT ON COLUMN imd.idaopi_rank IS 'Income Deprivation Affecting Older People Index.';
COMMENT ON COLUMN imd.pop_total IS 'IoD population denominator: total (mid-2015 for IoD2019, excluding prisoners).';

CREATE TABLE lookup_lsoa_ward_lad (
    lsoa_code    VARCHAR NOT NULL,
    lsoa_name    VARCHAR,
    lsoa_vintage INTEGER NOT NULL,
    ward_code    VARCHAR,
    ward_name    VARCHAR,
    ward_vintage INTEGER NOT NULL,
    lad_code     VARCHAR,
    lad_name     VARCHAR
);
COMMENT ON TABLE lookup_lsoa_ward_lad IS 'Best-fit lookup from LSOA to electoral ward to local authority, one row per LSOA per ward vintage.';
COMMENT ON COLUMN lookup_lsoa_ward_lad.ward_vintage IS 'Year of the ward boundaries (2020, 2021, 2022…); the local authority codes are of the same year.';

CREATE TABLE lookup_oa (
    oa_code      VARCHAR NOT NULL,
    oa_vintage   INTEGER NOT NULL,
    lsoa_code    VARCHAR,
    lsoa_name    VARCHAR,
    msoa_code    VARCHAR,
    msoa_name    VARCHAR,
    lad_code     VARCHAR,
    lad_name     VARCHAR,
    region_code  VARCHAR,
    region_name  VARCHAR,
    country_code VARCHAR,
    oac_code     VARCHAR,
    oac_name     VARCHAR
);
COMMENT ON TABLE lookup_oa IS 'Output Area to LSOA to MSOA to local authority (and region), for 2011 and 2021 output areas.';
COMMENT ON COLUMN lookup_oa.oac_code IS '2011 Output Area Classification subgroup code, where published.';

CREATE TABLE postcodes (
    postcode     VARCHAR NOT NULL,
    postcode_key VARCHAR NOT NULL,
    lsoa11_code  VARCHAR,
    lsoa21_code  VARCHAR,
    msoa21_code  VARCHAR,
    ward_code    VARCHAR,
    lad_code     VARCHAR,
    lon          DOUBLE,
    lat          DOUBLE,
    terminated   DATE,
    locality     VARCHAR
);
COMMENT ON TABLE postcodes IS 'Postcode to LSOA, ward and local authority, in the ONS Postcode Directory layout, with the postcode centroid.';
COMMENT ON COLUMN postcodes.postcode IS 'Postcode in its single-space display form, e.g. "M32 0TH".';
COMMENT ON COLUMN postcodes.postcode_key IS 'Postcode upper-cased with no spaces, for joins: "M320TH".';
COMMENT ON COLUMN postcodes.terminated IS 'Date the postcode was terminated (NULL if live).';
COMMENT ON COLUMN postcodes.locality IS 'Council-defined locality where the source has one (Trafford).';

CREATE TABLE population (
    dataset    VARCHAR NOT NULL,
    area_code  VARCHAR NOT NULL,
    area_level VARCHAR NOT NULL,
    year       INTEGER NOT NULL,
    sex        VARCHAR NOT NULL,
    age_band   VARCHAR NOT NULL,
    age_min    INTEGER,
    age_max    INTEGER,
    population BIGINT NOT NULL
);
COMMENT ON TABLE population IS 'Population counts by area, year, sex and age band (long format). age_band ''all'' is the total.';
COMMENT ON COLUMN population.area_level IS 'lsoa11, lsoa21, msoa, ward or lad, from the code''s prefix and the dataset.';
COMMENT ON COLUMN population.sex IS 'persons, female or male.';
COMMENT ON COLUMN population.age_band IS '''all'', or a band such as ''0-15'', ''16-24'', ''65+''.';
COMMENT ON COLUMN population.age_max IS 'Upper age of the band, inclusive; NULL for open-ended bands (65+).';
