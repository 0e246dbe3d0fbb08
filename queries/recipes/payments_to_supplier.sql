-- id: payments_to_supplier
-- title: Payments from a council to a named supplier
-- description: Every published payment from a council to suppliers whose name contains some words (a
--   charity, a company, a housing association), newest first, with what it was for and where it is in the
--   council's own file.
-- group: Money
-- param: council choice(SELECT DISTINCT council_code, council_name FROM spending ORDER BY 2) = E08000009 | Council
-- param: supplier text = Age UK | Supplier name contains | Part of the name is enough; capitals do not matter
-- caveat: Councils spell supplier names in different ways; try a shorter part of the name if nothing is found.

SELECT payment_date, supplier_name, amount, expense_type, service_area, source_file, source_line
FROM spending
WHERE council_code = $council AND supplier_name ILIKE '%' || $supplier::VARCHAR || '%'
ORDER BY payment_date DESC, source_file, source_line
