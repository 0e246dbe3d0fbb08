-- Grants published in the 360Giving Data Standard.

CREATE TABLE grants (
    dataset                   VARCHAR NOT NULL,
    identifier                VARCHAR NOT NULL,
    title                     VARCHAR,
    description               VARCHAR,
    currency                  VARCHAR,
    amount_awarded            DECIMAL(18,2),
    award_date                DATE,
    recipient_org_id          VARCHAR,
    recipient_org_name        VARCHAR,
    recipient_charity_number  VARCHAR,
    recipient_company_number  VARCHAR,
    recipient_postcode        VARCHAR,
    funding_org_id            VARCHAR,
    funding_org_name          VARCHAR,
    programme                 VARCHAR,
    beneficiary_location_name VARCHAR,
    beneficiary_code          VARCHAR,
    beneficiary_code_type     VARCHAR,
    location_source           VARCHAR,
    lsoa21_code               VARCHAR,
    ward_code                 VARCHAR,
    lad_code                  VARCHAR,
    source_file               VARCHAR
);
COMMENT ON TABLE grants IS 'Grants in the 360Giving Data Standard (CSV or JSON), mapped onto areas by beneficiary location code or recipient postcode.';
COMMENT ON COLUMN grants.identifier IS '360Giving grant identifier (unique per grant).';
COMMENT ON COLUMN grants.recipient_charity_number IS 'Charity number as text (leading zeros and letters kept).';
COMMENT ON COLUMN grants.recipient_company_number IS 'Company number as text ("00738693").';
COMMENT ON COLUMN grants.beneficiary_code IS 'Beneficiary location geographic code as published (a ward, local authority or other GSS code).';
COMMENT ON COLUMN grants.location_source IS 'How the grant was placed: beneficiary_code, recipient_postcode, or unlocated.';
COMMENT ON COLUMN grants.ward_code IS 'Ward the grant benefits (from a ward beneficiary code or the recipient postcode).';
COMMENT ON COLUMN grants.lad_code IS 'Local authority the grant benefits.';
