-- Provision against need (issue 7): for each LSOA (2011) and service type,
-- the distance to the nearest service and the need of the neighbourhood,
-- derived from services, areas, population and imd by
-- queries.RefreshAccess (docs/METHODS.md). Rebuilt whenever a newer ingest
-- run exists than the one recorded in service_access_meta.

CREATE TABLE service_access (
    service                VARCHAR NOT NULL,
    category               VARCHAR NOT NULL,
    lsoa11_code            VARCHAR NOT NULL,
    lad_code               VARCHAR,
    population_group       VARCHAR NOT NULL,
    population             BIGINT,
    residents              BIGINT,
    services_in_lsoa       INTEGER NOT NULL,
    nearest_km             DOUBLE NOT NULL,
    threshold_km           DOUBLE NOT NULL,
    services_within        INTEGER NOT NULL,
    beyond_threshold       BOOLEAN NOT NULL,
    need_domain            VARCHAR NOT NULL,
    need_rank              INTEGER,
    need_decile            INTEGER,
    imd_decile             INTEGER,
    need_rank_la           INTEGER,
    lsoas_la               INTEGER,
    access_rank            INTEGER NOT NULL,
    lsoas_covered          INTEGER NOT NULL,
    access_rank_la         INTEGER NOT NULL,
    need_worst20_england   BOOLEAN NOT NULL,
    need_worst20_la        BOOLEAN NOT NULL,
    access_worst20_england BOOLEAN NOT NULL,
    access_worst20_la      BOOLEAN NOT NULL,
    flag_england           BOOLEAN NOT NULL,
    flag_la                BOOLEAN NOT NULL
);
COMMENT ON TABLE service_access IS 'Provision against need: one row per LSOA 2011 and service type, for LSOAs in local authorities where that type is loaded (docs/METHODS.md). Derived from services, areas, population and imd; rebuilt after loads.';
COMMENT ON COLUMN service_access.service IS 'Service type key (gp, pharmacy, school, library, food_bank, childrens_centre, dentist, jobcentre, post_office, sports_facility, allotment, place_of_worship).';
COMMENT ON COLUMN service_access.category IS 'services.category the type counts.';
COMMENT ON COLUMN service_access.population_group IS 'Who the service is for: all residents (ONS mid-2017) or children aged 0-15 (IoD2019 denominators, mid-2015).';
COMMENT ON COLUMN service_access.population IS 'Residents of the LSOA in population_group.';
COMMENT ON COLUMN service_access.residents IS 'All residents of the LSOA (ONS mid-2017 estimate).';
COMMENT ON COLUMN service_access.services_in_lsoa IS 'Open services of the type located in the LSOA (point in polygon), each counted once.';
COMMENT ON COLUMN service_access.nearest_km IS 'Great-circle distance from the LSOA centroid to the nearest open service of the type, including services over a boundary.';
COMMENT ON COLUMN service_access.threshold_km IS 'The distance X for the type (docs/METHODS.md).';
COMMENT ON COLUMN service_access.services_within IS 'Open services of the type within threshold_km of the LSOA centroid.';
COMMENT ON COLUMN service_access.beyond_threshold IS 'nearest_km > threshold_km: the LSOA''s residents count as living more than X km from one.';
COMMENT ON COLUMN service_access.need_domain IS 'IMD 2019 domain used for need (health, idaci, income, employment or imd); imd when the domain is not loaded.';
COMMENT ON COLUMN service_access.need_rank IS 'England rank on need_domain, 1 = most deprived of 32,844.';
COMMENT ON COLUMN service_access.need_decile IS 'England decile on need_domain, 1 = most deprived 10%.';
COMMENT ON COLUMN service_access.imd_decile IS 'Overall IMD 2019 decile.';
COMMENT ON COLUMN service_access.need_rank_la IS 'Rank on need within the local authority, 1 = most deprived.';
COMMENT ON COLUMN service_access.lsoas_la IS 'Covered LSOAs in the local authority.';
COMMENT ON COLUMN service_access.access_rank IS 'Rank on nearest_km among all covered LSOAs in England, 1 = furthest (ties share the best rank).';
COMMENT ON COLUMN service_access.lsoas_covered IS 'Covered LSOAs in England for the type.';
COMMENT ON COLUMN service_access.access_rank_la IS 'Rank on nearest_km within the local authority, 1 = furthest.';
COMMENT ON COLUMN service_access.need_worst20_england IS 'need_decile <= 2.';
COMMENT ON COLUMN service_access.need_worst20_la IS '5 x need_rank_la <= lsoas with need data in the local authority.';
COMMENT ON COLUMN service_access.access_worst20_england IS '5 x access_rank <= lsoas_covered.';
COMMENT ON COLUMN service_access.access_worst20_la IS '5 x access_rank_la <= lsoas_la.';
COMMENT ON COLUMN service_access.flag_england IS 'High need, low provision relative to England: need_worst20_england and access_worst20_england.';
COMMENT ON COLUMN service_access.flag_la IS 'High need, low provision relative to the local authority: need_worst20_la and access_worst20_la.';

CREATE TABLE service_access_meta (
    built_at       TIMESTAMP NOT NULL,
    last_run_id    BIGINT NOT NULL,
    method_version INTEGER NOT NULL,
    rows_built     BIGINT NOT NULL,
    duration_ms    BIGINT NOT NULL
);
COMMENT ON TABLE service_access_meta IS 'When service_access was last built, and from which ingest run (the newest ok run then).';
