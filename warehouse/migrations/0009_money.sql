-- Money against need (issue 7): where the council's suppliers and the grants' recipients are
-- based. Spending files carry no supplier postcode, so suppliers are placed by matching them
-- with organisations the warehouse already knows with a place (services, charities, schools,
-- 360Giving recipients), or with a lookup the user loads into suppliers. Everything is a view
-- over the loaded tables, so it can never be stale and needs no write at request time.
-- docs/SPENDING.md ("Where suppliers are based") and docs/METHODS.md describe the method.

CREATE TABLE suppliers (
    council_code   VARCHAR,
    supplier_id    VARCHAR,
    supplier_name  VARCHAR,
    postcode       VARCHAR,
    company_number VARCHAR,
    charity_number VARCHAR,
    source_file    VARCHAR
);
COMMENT ON TABLE suppliers IS 'A lookup of where a council''s suppliers are based, supplied by the user: by the council''s supplier id or by supplier name, a postcode, company number or charity number.';
COMMENT ON COLUMN suppliers.council_code IS 'Paying council (GSS code); NULL means the row applies to every council.';
COMMENT ON COLUMN suppliers.supplier_id IS 'The council''s own supplier reference, matched exactly with spending.supplier_id.';
COMMENT ON COLUMN suppliers.supplier_name IS 'Supplier name, matched with spending.supplier_name after normalising (case, punctuation, "&"/"and", Ltd/Limited/PLC/CIC/CIO/LLP, a leading "The", bracketed text).';

-- Organisations with a place, by normalised name. The key is built the same way in each view
-- below: lower case, "&" to "and", apostrophes dropped, bracketed text dropped, anything but
-- letters and digits to spaces, and the words the/ltd/limited/plc/cic/cio/llp/inc removed.
CREATE VIEW org_places AS
WITH pc AS (
    SELECT postcode_key, lsoa21_code, ward_code, lad_code FROM postcodes
    QUALIFY row_number() OVER (PARTITION BY postcode_key ORDER BY terminated NULLS FIRST, postcode) = 1
),
orgs AS (
    SELECT s.dataset AS source, s.name, s.source_id AS charity_number,
           CASE WHEN s.dataset = 'trafford-charities' THEN json_extract_string(s.attributes, '$.company_number') END AS company_number,
           s.postcode, s.lsoa21_code, s.ward_code, s.lad_code
    FROM services s
    WHERE s.name IS NOT NULL AND (s.lsoa21_code IS NOT NULL OR s.postcode IS NOT NULL)
    UNION ALL
    SELECT 'grants', g.recipient_org_name, g.recipient_charity_number, g.recipient_company_number,
           g.recipient_postcode, p.lsoa21_code, p.ward_code, p.lad_code
    FROM grants g LEFT JOIN pc p ON p.postcode_key = upper(replace(g.recipient_postcode, ' ', ''))
    WHERE g.recipient_org_name IS NOT NULL AND g.recipient_postcode IS NOT NULL
)
SELECT o.source, o.name,
       array_to_string([w FOR w IN string_split(regexp_replace(regexp_replace(lower(replace(replace(replace(o.name, '&', ' and '), '''', ''), '’', '')), '\([^)]*\)', ' ', 'g'), '[^a-z0-9]+', ' ', 'g'), ' ')
                        IF w NOT IN ('', 'the', 'ltd', 'limited', 'plc', 'cic', 'cio', 'llp', 'inc')], ' ') AS name_key,
       CASE WHEN o.source = 'trafford-charities' THEN o.charity_number ELSE NULL END AS charity_number,
       o.company_number, o.postcode,
       coalesce(o.lsoa21_code, p.lsoa21_code) AS lsoa21_code,
       coalesce(o.ward_code, p.ward_code) AS ward_code,
       coalesce(o.lad_code, p.lad_code) AS lad_code
FROM orgs o LEFT JOIN pc p ON p.postcode_key = upper(replace(o.postcode, ' ', ''));
COMMENT ON VIEW org_places IS 'Organisations the warehouse knows with a place (services, registered charities, schools, 360Giving recipients with a postcode), with a normalised name key for matching.';

-- One row per supplier a council pays (council, name, id), with where it is based and how that
-- was found. A name matches only when every organisation with that key is in one place
-- (otherwise "ambiguous"); the user's lookup wins over automatic matching.
CREATE VIEW supplier_places AS
WITH pc AS (
    SELECT postcode_key, lsoa21_code, ward_code, lad_code FROM postcodes
    QUALIFY row_number() OVER (PARTITION BY postcode_key ORDER BY terminated NULLS FIRST, postcode) = 1
),
paid AS (
    SELECT DISTINCT council_code, supplier_name, supplier_id FROM spending
),
keyed AS (
    SELECT *, array_to_string([w FOR w IN string_split(regexp_replace(regexp_replace(lower(replace(replace(replace(coalesce(supplier_name, ''), '&', ' and '), '''', ''), '’', '')), '\([^)]*\)', ' ', 'g'), '[^a-z0-9]+', ' ', 'g'), ' ')
                              IF w NOT IN ('', 'the', 'ltd', 'limited', 'plc', 'cic', 'cio', 'llp', 'inc')], ' ') AS name_key
    FROM paid
),
charity AS (
    SELECT charity_number, any_value(postcode) AS postcode, any_value(lsoa21_code) AS lsoa21_code,
           any_value(ward_code) AS ward_code, any_value(lad_code) AS lad_code
    FROM org_places WHERE charity_number IS NOT NULL GROUP BY charity_number
),
company AS (
    SELECT company_number, any_value(postcode) AS postcode, any_value(lsoa21_code) AS lsoa21_code,
           any_value(ward_code) AS ward_code, any_value(lad_code) AS lad_code
    FROM org_places WHERE company_number IS NOT NULL GROUP BY company_number HAVING count(DISTINCT coalesce(lsoa21_code, postcode)) = 1
),
lookup AS (
    SELECT s.council_code, s.supplier_id,
           array_to_string([w FOR w IN string_split(regexp_replace(regexp_replace(lower(replace(replace(replace(coalesce(s.supplier_name, ''), '&', ' and '), '''', ''), '’', '')), '\([^)]*\)', ' ', 'g'), '[^a-z0-9]+', ' ', 'g'), ' ')
                            IF w NOT IN ('', 'the', 'ltd', 'limited', 'plc', 'cic', 'cio', 'llp', 'inc')], ' ') AS name_key,
           coalesce(s.postcode, ch.postcode, co.postcode) AS postcode,
           coalesce(p.lsoa21_code, ch.lsoa21_code, co.lsoa21_code) AS lsoa21_code,
           coalesce(p.ward_code, ch.ward_code, co.ward_code) AS ward_code,
           coalesce(p.lad_code, ch.lad_code, co.lad_code) AS lad_code
    FROM suppliers s
    LEFT JOIN pc p ON p.postcode_key = upper(replace(s.postcode, ' ', ''))
    LEFT JOIN charity ch ON ch.charity_number = s.charity_number
    LEFT JOIN company co ON co.company_number = s.company_number
),
by_id AS (
    SELECT k.council_code, k.supplier_name, k.supplier_id, any_value(l.postcode) AS postcode, any_value(l.lsoa21_code) AS lsoa21_code,
           any_value(l.ward_code) AS ward_code, any_value(l.lad_code) AS lad_code
    FROM keyed k JOIN lookup l ON l.supplier_id = k.supplier_id AND (l.council_code IS NULL OR l.council_code = k.council_code)
    GROUP BY ALL
),
by_lookup_name AS (
    SELECT k.council_code, k.name_key, any_value(l.postcode) AS postcode, any_value(l.lsoa21_code) AS lsoa21_code,
           any_value(l.ward_code) AS ward_code, any_value(l.lad_code) AS lad_code
    FROM (SELECT DISTINCT council_code, name_key FROM keyed) k
    JOIN lookup l ON l.name_key = k.name_key AND l.name_key <> '' AND (l.council_code IS NULL OR l.council_code = k.council_code)
    GROUP BY ALL
),
by_name AS (
    SELECT name_key, count(DISTINCT coalesce(lsoa21_code, postcode)) AS places,
           any_value(source) AS source, any_value(name) AS name, any_value(postcode) AS postcode,
           any_value(lsoa21_code) AS lsoa21_code, any_value(ward_code) AS ward_code, any_value(lad_code) AS lad_code
    FROM org_places WHERE name_key <> '' GROUP BY name_key
),
matched AS (
    SELECT k.council_code, k.supplier_name, k.supplier_id, k.name_key,
           CASE WHEN k.name_key IN ('', 'redacted', 'redacted personal data', 'withheld', 'personal data', 'personal information', 'data redacted')
                     OR k.supplier_name ILIKE '%redact%' THEN 'redacted'
                WHEN i.council_code IS NOT NULL THEN 'lookup_id'
                WHEN ln.council_code IS NOT NULL THEN 'lookup_name'
                WHEN n.places = 1 THEN 'name'
                WHEN n.places > 1 THEN 'ambiguous'
                ELSE 'unmatched' END AS method,
           n.source AS n_source, n.name AS n_name,
           i.postcode AS i_pc, i.lsoa21_code AS i_lsoa, i.ward_code AS i_ward, i.lad_code AS i_lad,
           ln.postcode AS l_pc, ln.lsoa21_code AS l_lsoa, ln.ward_code AS l_ward, ln.lad_code AS l_lad,
           n.postcode AS n_pc, n.lsoa21_code AS n_lsoa, n.ward_code AS n_ward, n.lad_code AS n_lad
    FROM keyed k
    LEFT JOIN by_id i ON i.council_code IS NOT DISTINCT FROM k.council_code AND i.supplier_name IS NOT DISTINCT FROM k.supplier_name
                     AND i.supplier_id IS NOT DISTINCT FROM k.supplier_id
    LEFT JOIN by_lookup_name ln ON ln.council_code IS NOT DISTINCT FROM k.council_code AND ln.name_key = k.name_key
    LEFT JOIN by_name n ON n.name_key = k.name_key
),
placed AS (
    SELECT council_code, supplier_name, supplier_id, name_key, method,
           CASE method WHEN 'lookup_id' THEN 'suppliers' WHEN 'lookup_name' THEN 'suppliers' WHEN 'name' THEN n_source END AS matched_source,
           CASE WHEN method = 'name' THEN n_name END AS matched_name,
           CASE method WHEN 'lookup_id' THEN i_pc WHEN 'lookup_name' THEN l_pc WHEN 'name' THEN n_pc END AS postcode,
           CASE method WHEN 'lookup_id' THEN i_lsoa WHEN 'lookup_name' THEN l_lsoa WHEN 'name' THEN n_lsoa END AS lsoa21_code,
           CASE method WHEN 'lookup_id' THEN i_ward WHEN 'lookup_name' THEN l_ward WHEN 'name' THEN n_ward END AS ward_code,
           CASE method WHEN 'lookup_id' THEN i_lad WHEN 'lookup_name' THEN l_lad WHEN 'name' THEN n_lad END AS lad_code
    FROM matched
)
SELECT *,
       CASE WHEN method IN ('redacted', 'ambiguous', 'unmatched') THEN method
            WHEN lsoa21_code IS NOT NULL AND lad_code = council_code THEN 'local'
            WHEN lad_code IS NOT NULL THEN 'elsewhere'
            WHEN postcode IS NOT NULL THEN 'postcode_not_placed'
            ELSE 'unmatched' END AS status
FROM placed;
COMMENT ON VIEW supplier_places IS 'Each supplier a council pays (council, name, id) with where it is based: method is lookup_id, lookup_name (the suppliers table), name (a unique match with org_places), ambiguous, unmatched or redacted; status is local (an LSOA in the paying council''s area), elsewhere, postcode_not_placed, ambiguous, unmatched or redacted.';

-- One row per grant with the neighbourhood it is placed in for money against need.
CREATE VIEW grant_places AS
WITH pc AS (
    SELECT postcode_key, lsoa21_code, ward_code, lad_code FROM postcodes
    QUALIFY row_number() OVER (PARTITION BY postcode_key ORDER BY terminated NULLS FIRST, postcode) = 1
),
charity AS (
    SELECT charity_number, any_value(postcode) AS postcode, any_value(lsoa21_code) AS lsoa21_code,
           any_value(ward_code) AS ward_code, any_value(lad_code) AS lad_code
    FROM org_places WHERE charity_number IS NOT NULL GROUP BY charity_number
),
company AS (
    SELECT company_number, any_value(postcode) AS postcode, any_value(lsoa21_code) AS lsoa21_code,
           any_value(ward_code) AS ward_code, any_value(lad_code) AS lad_code
    FROM org_places WHERE company_number IS NOT NULL GROUP BY company_number HAVING count(DISTINCT coalesce(lsoa21_code, postcode)) = 1
),
by_name AS (
    SELECT name_key, count(DISTINCT coalesce(lsoa21_code, postcode)) AS places, any_value(postcode) AS postcode,
           any_value(lsoa21_code) AS lsoa21_code, any_value(ward_code) AS ward_code, any_value(lad_code) AS lad_code
    FROM org_places WHERE name_key <> '' AND source <> 'grants' GROUP BY name_key
),
g AS (
    SELECT g.dataset, g.identifier, g.amount_awarded AS amount, g.award_date, g.currency, g.recipient_org_name, g.funding_org_name,
           g.location_source, g.ward_code AS b_ward, g.lad_code AS b_lad,
           p.lsoa21_code AS p_lsoa, p.ward_code AS p_ward, p.lad_code AS p_lad,
           ch.lsoa21_code AS c_lsoa, ch.ward_code AS c_ward, ch.lad_code AS c_lad, ch.postcode AS c_pc,
           co.lsoa21_code AS o_lsoa, co.ward_code AS o_ward, co.lad_code AS o_lad, co.postcode AS o_pc,
           CASE WHEN n.places = 1 THEN n.lsoa21_code END AS n_lsoa, CASE WHEN n.places = 1 THEN n.ward_code END AS n_ward,
           CASE WHEN n.places = 1 THEN n.lad_code END AS n_lad, CASE WHEN n.places = 1 THEN n.postcode END AS n_pc,
           g.recipient_postcode
    FROM grants g
    LEFT JOIN pc p ON p.postcode_key = upper(replace(g.recipient_postcode, ' ', ''))
    LEFT JOIN charity ch ON ch.charity_number = g.recipient_charity_number
    LEFT JOIN company co ON co.company_number = g.recipient_company_number
    LEFT JOIN by_name n ON n.name_key = array_to_string([w FOR w IN string_split(regexp_replace(regexp_replace(lower(replace(replace(replace(coalesce(g.recipient_org_name, ''), '&', ' and '), '''', ''), '’', '')), '\([^)]*\)', ' ', 'g'), '[^a-z0-9]+', ' ', 'g'), ' ')
                              IF w NOT IN ('', 'the', 'ltd', 'limited', 'plc', 'cic', 'cio', 'llp', 'inc')], ' ')
),
m AS (
    SELECT *,
           CASE WHEN location_source = 'beneficiary_code' AND b_ward IS NOT NULL THEN 'beneficiary_ward'
                WHEN p_lad IS NOT NULL THEN 'recipient_postcode'
                WHEN c_lad IS NOT NULL OR c_pc IS NOT NULL THEN 'recipient_charity_number'
                WHEN o_lad IS NOT NULL OR o_pc IS NOT NULL THEN 'recipient_company_number'
                WHEN n_lad IS NOT NULL OR n_pc IS NOT NULL THEN 'recipient_name'
                WHEN b_lad IS NOT NULL THEN 'authority_only'
                ELSE 'unlocated' END AS method
    FROM g
)
SELECT dataset, identifier, amount, award_date, currency, recipient_org_name, funding_org_name, method,
       CASE method WHEN 'recipient_postcode' THEN p_lsoa WHEN 'recipient_charity_number' THEN c_lsoa
                   WHEN 'recipient_company_number' THEN o_lsoa WHEN 'recipient_name' THEN n_lsoa END AS lsoa21_code,
       CASE method WHEN 'beneficiary_ward' THEN b_ward WHEN 'recipient_postcode' THEN p_ward WHEN 'recipient_charity_number' THEN c_ward
                   WHEN 'recipient_company_number' THEN o_ward WHEN 'recipient_name' THEN n_ward END AS ward_code,
       CASE method WHEN 'recipient_postcode' THEN p_lad WHEN 'recipient_charity_number' THEN c_lad
                   WHEN 'recipient_company_number' THEN o_lad WHEN 'recipient_name' THEN n_lad ELSE b_lad END AS lad_code,
       b_lad AS beneficiary_lad_code,
       CASE WHEN method = 'beneficiary_ward' THEN 'placed'
            WHEN method IN ('authority_only', 'unlocated') THEN method
            WHEN (CASE method WHEN 'recipient_postcode' THEN p_lsoa WHEN 'recipient_charity_number' THEN c_lsoa
                              WHEN 'recipient_company_number' THEN o_lsoa WHEN 'recipient_name' THEN n_lsoa END) IS NOT NULL
                 AND (b_lad IS NULL OR b_lad = (CASE method WHEN 'recipient_postcode' THEN p_lad WHEN 'recipient_charity_number' THEN c_lad
                              WHEN 'recipient_company_number' THEN o_lad WHEN 'recipient_name' THEN n_lad END)) THEN 'placed'
            ELSE 'recipient_elsewhere' END AS status
FROM m;
COMMENT ON VIEW grant_places IS 'Each grant with the neighbourhood it is placed in for money against need: by a beneficiary ward, else where the recipient is based (postcode, charity number, company number or a unique name match). status is placed, recipient_elsewhere (based outside the authority it benefits), authority_only (benefits a whole authority, recipient not found) or unlocated.';
