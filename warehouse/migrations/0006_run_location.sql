-- How many rows of a run were placed on the map, and informational notes.

ALTER TABLE ingest_runs ADD COLUMN located BIGINT;
ALTER TABLE ingest_runs ADD COLUMN unlocated BIGINT;
ALTER TABLE ingest_runs ADD COLUMN notes VARCHAR;
COMMENT ON COLUMN ingest_runs.located IS 'Rows given a location (services: coordinates, grid reference, postcode or outline; grants: beneficiary code or recipient postcode). NULL for datasets that are not located.';
COMMENT ON COLUMN ingest_runs.unlocated IS 'Rows loaded without a location; each is listed in ingest_rejects with the reason.';
COMMENT ON COLUMN ingest_runs.notes IS 'What the run did that is worth knowing but is not a problem, one per line (for example how rows were located).';
COMMENT ON COLUMN area_members.method IS 'best_fit_pwc (population-weighted centroid), best_fit_centroid (geometric centroid), or best_fit_containing (a small area: the one LSOA containing it).';
