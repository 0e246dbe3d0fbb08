-- Hostile queries for the SQL sandbox: every one must be refused or fail
-- with a clear message, and the service must keep answering. Shared by the
-- warehouse, dashboard (HTTP) and CLI tests; each entry starts with a
-- "-- name:" line. Generated cases (huge literal, invalid UTF-8, many
-- statements) are added by the tests themselves.

-- name: read_csv of /etc/passwd
SELECT * FROM read_csv('/etc/passwd')
-- name: read_csv_auto of /etc/passwd
SELECT * FROM read_csv_auto('/etc/passwd', header = false)
-- name: read_text of /etc/passwd
SELECT content FROM read_text('/etc/passwd')
-- name: read_blob of /etc/passwd
SELECT content FROM read_blob('/etc/passwd')
-- name: glob of /etc
SELECT * FROM glob('/etc/*')
-- name: glob relative to the working directory
SELECT * FROM glob('*')
-- name: parquet_scan of /etc/passwd
SELECT * FROM parquet_scan('/etc/passwd')
-- name: read_parquet of /etc/passwd
SELECT * FROM read_parquet('/etc/passwd')
-- name: read_json of /etc/passwd
SELECT * FROM read_json_auto('/etc/passwd')
-- name: replacement scan of a file name
SELECT * FROM '/etc/passwd'
-- name: sniff_csv of /etc/passwd
SELECT * FROM sniff_csv('/etc/passwd')
-- name: read_csv over http
SELECT * FROM read_csv('http://127.0.0.1:1/x.csv')
-- name: read_text inside a subquery
SELECT length((SELECT string_agg(content, '') FROM read_text('/etc/hostname'))) AS n
-- name: COPY a table to a file
COPY areas TO '/tmp/commonground-hostile.csv'
-- name: COPY a query to Parquet
COPY (SELECT 1 AS x) TO '/tmp/commonground-hostile.parquet' (FORMAT parquet)
-- name: COPY from a file
COPY datasets FROM '/etc/passwd'
-- name: EXPORT DATABASE
EXPORT DATABASE '/tmp/commonground-hostile-export'
-- name: ATTACH another database
ATTACH '/tmp/commonground-hostile.duckdb' AS evil
-- name: ATTACH in memory
ATTACH ':memory:' AS evil
-- name: DETACH the store
DETACH store
-- name: INSTALL an extension
INSTALL httpfs
-- name: LOAD an extension
LOAD httpfs
-- name: SET external access back on
SET enable_external_access = true
-- name: SET lock_configuration off
SET lock_configuration = false
-- name: SET the memory limit
SET memory_limit = '100GB'
-- name: RESET a setting
RESET enable_external_access
-- name: PRAGMA that changes settings
PRAGMA threads = 64
-- name: PRAGMA enable_profiling to a file
PRAGMA enable_profiling = 'json'
-- name: CALL checkpoint
CALL checkpoint()
-- name: CALL force_checkpoint
CALL force_checkpoint()
-- name: CHECKPOINT statement
CHECKPOINT
-- name: USE another database
USE memory
-- name: DROP TABLE
DROP TABLE areas
-- name: DELETE rows
DELETE FROM datasets
-- name: UPDATE rows
UPDATE datasets SET title = 'pwned'
-- name: INSERT rows
INSERT INTO datasets (id) VALUES ('pwned')
-- name: CREATE TABLE AS
CREATE TABLE pwned AS SELECT 1 AS x
-- name: CREATE TEMP TABLE
CREATE TEMP TABLE pwned AS SELECT 1 AS x
-- name: CREATE MACRO
CREATE MACRO pwned(x) AS x
-- name: CREATE SECRET
CREATE SECRET pwned (TYPE s3, KEY_ID 'a', SECRET 'b')
-- name: ALTER TABLE
ALTER TABLE datasets ADD COLUMN pwned INTEGER
-- name: VACUUM
VACUUM
-- name: BEGIN a transaction
BEGIN TRANSACTION
-- name: PREPARE a statement
PREPARE p AS DELETE FROM datasets
-- name: checkpoint() inside a SELECT
SELECT * FROM checkpoint()
-- name: force_checkpoint() inside a SELECT (would abort other transactions)
SELECT * FROM force_checkpoint()
-- name: enable_logging() changes settings from a SELECT
SELECT * FROM enable_logging()
-- name: nextval advances a sequence from a SELECT
SELECT nextval('no_such_sequence') AS v
-- name: setseed from a nested subquery
SELECT (SELECT setseed(0.5)) AS s
-- name: EXPLAIN ANALYZE runs a side effect
EXPLAIN ANALYZE SELECT * FROM checkpoint()
-- name: a comment before ANALYZE
EXPLAIN /* hidden */ ANALYZE SELECT * FROM checkpoint()
-- name: a side effect hidden in the query table function
SELECT * FROM query('SELECT * FROM checkpoint()')
-- name: a write hidden in the query table function
SELECT * FROM query('DELETE FROM datasets')
-- name: query_table on a file
SELECT * FROM query_table('/etc/passwd')
-- name: two statements, a read then a write
SELECT 1; DROP TABLE areas
-- name: a write then a read
DELETE FROM datasets; SELECT 1
-- name: exploding cross join
SELECT count(*) FROM range(1000000000) a, range(1000000000) b WHERE a.range + b.range = -1
-- name: infinite recursive CTE
WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SELECT count(*) FROM t
-- name: recursive CTE that doubles every step
WITH RECURSIVE t(s) AS (SELECT 'x' UNION ALL SELECT s || s FROM t) SELECT max(length(s)) FROM t
-- name: a huge string from repeat
SELECT length(repeat('x', 50000000) || repeat('y', 100000000)) AS n
-- name: a billion-element list
SELECT length(list(range)) FROM range(3000000000)
-- name: syntax error
SELEC * FROM areas
-- name: unknown table
SELECT * FROM no_such_table
-- name: empty query
   
-- name: only a comment
-- nothing here
