-- Council spending over £500, one row per payment line.

CREATE TABLE spending (
    council_code     VARCHAR,
    council_name     VARCHAR,
    source_file      VARCHAR NOT NULL,
    source_line      BIGINT NOT NULL,
    payment_date     DATE,
    supplier_name    VARCHAR,
    supplier_id      VARCHAR,
    amount           DECIMAL(18,2) NOT NULL,
    expense_type     VARCHAR,
    service_area     VARCHAR,
    transaction_id   VARCHAR,
    raw              VARCHAR
);
COMMENT ON TABLE spending IS 'Council payments ("spending over £500" transparency files), normalised from each council''s own format. Negative amounts are credits.';
COMMENT ON COLUMN spending.council_code IS 'Local authority code of the paying council.';
COMMENT ON COLUMN spending.source_file IS 'File the row came from (the member name for zips); with source_line it points at the original line.';
COMMENT ON COLUMN spending.supplier_id IS 'The council''s own supplier reference, where published.';
COMMENT ON COLUMN spending.amount IS 'Net amount in pounds; negative for credits and refunds.';
COMMENT ON COLUMN spending.expense_type IS 'Expense type or purpose, as the council labels it.';
COMMENT ON COLUMN spending.service_area IS 'Directorate or service area, as the council labels it.';
COMMENT ON COLUMN spending.raw IS 'The original line, re-encoded as CSV, for audit.';
