-- The SQL console is public, and ingest_runs and ingest_files name the
-- files loaded from the server's own disk (full paths), and a failed run's
-- error may too. The console refuses those two tables (sandbox.go) and
-- offers these views instead: the same rows, with each local source cut
-- to its file name and paths in errors cut to theirs. URLs are kept.

CREATE OR REPLACE VIEW load_runs AS
    SELECT run_id, dataset,
           array_to_string(list_transform(string_split(source, chr(10)),
               lambda s: CASE WHEN regexp_matches(s, '^[A-Za-z][A-Za-z0-9+.-]*://') THEN s
                              ELSE regexp_replace(s, '^.*[/\\]', '') END), chr(10)) AS source,
           sha256, bytes, started_at, finished_at, rows_loaded, rows_rejected, status,
           regexp_replace(error, '(?:[A-Za-z]:)?(?:[/\\][^/\\\s:"'']+)+[/\\]', '', 'g') AS error,
           regexp_replace(warnings, '(?:[A-Za-z]:)?(?:[/\\][^/\\\s:"'']+)+[/\\]', '', 'g') AS warnings,
           synthetic, tool_version
    FROM ingest_runs;
COMMENT ON VIEW load_runs IS 'One row per ingest run (ingest_runs for the public SQL console): what was loaded, from which URL or file (by name, not its path on the server), when, and how it went.';

CREATE OR REPLACE VIEW load_files AS
    SELECT run_id, dataset, file,
           CASE WHEN regexp_matches(source, '^[A-Za-z][A-Za-z0-9+.-]*://') THEN source
                ELSE regexp_replace(source, '^.*[/\\]', '') END AS source,
           kind, sha256, bytes, encoding, data_lines, rows_loaded, rows_rejected
    FROM ingest_files;
COMMENT ON VIEW load_files IS 'Each file read by an ingest run (ingest_files for the public SQL console): its kind, text encoding, data lines, rows loaded and rejected, and its URL or file name.';
