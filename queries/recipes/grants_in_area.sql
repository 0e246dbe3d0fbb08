-- id: grants_in_area
-- title: Grants to organisations in my area
-- description: Grants published in the 360Giving standard that benefit the area, or went to an organisation
--   whose postcode is in it, newest first: who got how much, from whom, and for what.
-- group: Money
-- param: area area = E08000009 | Area | A local authority, ward or community area: type its name or code, or a postcode for its ward
-- caveat: Many grants give only the local authority they benefit; such a grant shows for the authority but
--   not for a ward or community area inside it.

WITH lsoas AS (SELECT lsoa_code FROM area_lsoas WHERE area_code = $area)
SELECT g.award_date, g.recipient_org_name, g.title, g.amount_awarded, g.funding_org_name, g.programme,
       g.beneficiary_location_name, g.recipient_postcode, g.location_source, g.identifier
FROM grants g
LEFT JOIN postcodes p ON p.postcode_key = upper(replace(g.recipient_postcode, ' ', ''))
WHERE g.lad_code = $area OR g.ward_code = $area
   OR g.lsoa21_code IN (SELECT lsoa_code FROM lsoas) OR p.lsoa21_code IN (SELECT lsoa_code FROM lsoas)
ORDER BY g.award_date DESC NULLS LAST, g.amount_awarded DESC, g.identifier
