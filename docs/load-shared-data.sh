#!/usr/bin/env bash
# Loads the real open data in ../shared/data (the files the tests use) into a
# warehouse, dataset by dataset, the way a user loads their own copies.
# Usage: docs/load-shared-data.sh [DB] [DATA_DIR]
set -euo pipefail
DB=${1:-real.duckdb}
D=${2:-../shared/data}
cg() { ./bin/commonground "$@"; }
cg ingest --db "$DB" lookup-lsoa-ward-lad "$D/lookups/LSOA11_WD20_LAD20_EW_LU.csv" "$D/lookups/LSOA11_WD21_LAD21_EW_LU.csv" "$D/lookups/greater_manchester/gm_lsoa21_to_ward22_best-fit_lookup.csv"
cg ingest --db "$DB" lookup-oa "$D/lookups/OA11_OAC11_LSOA11_MSOA11_LAD17_RGN11_UK_lookup.csv.gz" "$D/lookups/greater_manchester/gm_oa21_lsoa21_msoa21_lad22_lookup.csv"
cg ingest --db "$DB" postcodes "$D/lookups/postcodes/trafford_postcodes.csv"
cg ingest --db "$DB" boundaries-lsoa11 "$D/boundaries/lsoa2011_by_lad"
cg ingest --db "$DB" boundaries-lsoa21 "$D/boundaries/greater_manchester/gm_lsoa21_generalised.geojson"
cg ingest --db "$DB" boundaries-msoa21 "$D/boundaries/greater_manchester/gm_msoa21_generalised.geojson"
cg ingest --db "$DB" boundaries-ward "$D/boundaries/wards2013_by_lad" "$D/boundaries/north_of_england/wd22_north.geojson" "$D/boundaries/greater_manchester/gm_ward2023_generalised.geojson"
cg ingest --db "$DB" boundaries-lad "$D/boundaries/lad2013_england_topo.json" "$D/boundaries/north_of_england/lad22_north.geojson" "$D/boundaries/greater_manchester/gm_lad2023_generalised.geojson"
cg ingest --db "$DB" population-sape "$D/population/pop_table_SAPE20DT1_mid2017_population_estimates.csv"
cg ingest --db "$DB" population-census2021 "$D/population/census2021/census21_pop_lsoa21_age6_derived.csv.gz"
cg ingest --db "$DB" imd2019 "$D/deprivation/iod2019/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz" "$D/deprivation/iod2019/File_2_-_IoD2019_Domains_of_Deprivation.csv.gz" "$D/deprivation/iod2019/File_6_-_IoD2019_Population_Denominators.csv.gz"
cg ingest --db "$DB" imd2025 "$D/deprivation/iod2025_derived/imd2025_england_lsoa21.csv"
# Public services: national lists, then the Greater Manchester and Trafford
# ones (a service listed twice is counted once, by its publisher's code).
S="$D/services"; G="$S/greater_manchester"
cg ingest --db "$DB" gp-practices "$S/epraccur.csv"
cg ingest --db "$DB" trafford-gp-practices "$G/trafford_general_practices.geojson"
cg ingest --db "$DB" pharmacies "$S/edispensary.csv"
cg ingest --db "$DB" gm-pharmacies "$G/gm_pharmacies.geojson"
cg ingest --db "$DB" schools "$S/gias/gias_open_schools_england_20250524_derived.csv"
cg ingest --db "$DB" trafford-schools "$G/trafford_schools_and_colleges.geojson"
cg ingest --db "$DB" gm-libraries "$G/gm_libraries.geojson"
cg ingest --db "$DB" gm-food-banks "$G/gm_food_banks.geojson"
cg ingest --db "$DB" gm-dentists "$G/gm_dentists.csv"
cg ingest --db "$DB" gm-jobcentres "$G/gm_jobcentreplus.csv"
cg ingest --db "$DB" gm-post-offices "$G/gm_post_offices.geojson"
cg ingest --db "$DB" trafford-childrens-centres "$G/trafford_childrens_centres.csv"
cg ingest --db "$DB" trafford-allotments "$G/trafford_allotments.geojson"
cg ingest --db "$DB" trafford-places-of-worship "$G/trafford_places_of_worship_RAW.geojson"
cg ingest --db "$DB" trafford-sports-facilities "$G/sports_facilities.csv"
cg ingest --db "$DB" trafford-charities "$G/charities_operating_in_trafford.csv"
# Council spending (each council's own format) and 360Giving grants.
P="$D/spending"
cg ingest --db "$DB" spending "$P"/leeds/*.csv
cg ingest --db "$DB" spending "$P"/manchester/*.csv
cg ingest --db "$DB" spending "$P/trafford/trafford-supplier-spend-2024-25.zip" "$P/trafford/government_procurement_card_transactions_2024-25.csv"
cg ingest --db "$DB" spending --council E08000022 "$P/north_tyneside/northtyneside_spending_odileeds_clean_2022-07_p.csv"
cg ingest --db "$DB" grants "$P/360giving/trafford_council_voluntary_sector_grants.csv"
# Trafford's localities, as residents' own areas.
cg areas add --db "$DB" --each "$D/boundaries/custom_areas/trafford_localities_2023_generalised.geojson" || true
# Service gaps (provision against need) from what is now loaded.
cg gaps refresh --db "$DB"
cg sources --db "$DB"
