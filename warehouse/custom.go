package warehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// CustomLevel is areas.level (and area_members.area_level) for areas that
// residents or councils draw themselves.
const CustomLevel = "custom"

// ErrCodeTaken is returned by SaveCustomArea when the code already belongs
// to an area that is not custom (an LSOA, ward, local authority…).
var ErrCodeTaken = errors.New("the code belongs to an official area")

// ErrNoCustomArea is returned by RemoveCustomArea when no custom area has
// the code.
var ErrNoCustomArea = errors.New("no custom area has this code")

// CustomArea is the areas row of a custom area.
type CustomArea struct {
	Code, Name string
	// Geometry is WKB (a MultiPolygon in WGS84 lon/lat).
	Geometry                 []byte
	MinX, MinY, MaxX, MaxY   float64
	CentroidLon, CentroidLat float64
	// LADCode is the local authority holding most of the area's
	// population ("" for none).
	LADCode        string
	Population     sql.NullInt64
	PopulationYear sql.NullInt64
}

// Member is one LSOA of a custom area (an area_members row).
type Member struct {
	LSOACode    string
	LSOAVintage int
	Population  sql.NullInt64
	// Share is Population over the sum of the area's members of the same
	// vintage (NULL when no population is loaded).
	Share  sql.NullFloat64
	Method string
}

// SaveCustomArea stores a custom area and its members in one transaction,
// replacing any custom area of the same code and all its members. It fails
// with ErrCodeTaken if the code belongs to a non-custom area.
func (db *DB) SaveCustomArea(ctx context.Context, a CustomArea, members []Member) error {
	if db.opts.ReadOnly {
		return fmt.Errorf("save custom area %s: the warehouse is open read-only", a.Code)
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save custom area %s: %w", a.Code, err)
	}
	defer tx.Rollback()
	var level sql.NullString
	err = tx.QueryRowContext(ctx, `SELECT any_value(level) FROM areas WHERE code = ? AND level <> ?`, a.Code, CustomLevel).Scan(&level)
	if err != nil {
		return fmt.Errorf("save custom area %s: %w", a.Code, err)
	}
	if level.Valid {
		return fmt.Errorf("save custom area %s: %w (level %s)", a.Code, ErrCodeTaken, level.String)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM area_members WHERE area_code = ? AND area_level = ?`, a.Code, CustomLevel); err != nil {
		return fmt.Errorf("save custom area %s: %w", a.Code, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM areas WHERE code = ? AND level = ?`, a.Code, CustomLevel); err != nil {
		return fmt.Errorf("save custom area %s: %w", a.Code, err)
	}
	var lad sql.NullString
	if a.LADCode != "" {
		lad = sql.NullString{String: a.LADCode, Valid: true}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO areas (code, name, level, vintage, lad_code, geometry, minx, miny, maxx, maxy,
		centroid_lon, centroid_lat, population, population_year, dataset) VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.Code, a.Name, CustomLevel, lad, a.Geometry, a.MinX, a.MinY, a.MaxX, a.MaxY,
		a.CentroidLon, a.CentroidLat, a.Population, a.PopulationYear, CustomLevel); err != nil {
		return fmt.Errorf("save custom area %s: %w", a.Code, err)
	}
	const chunk = 256
	for start := 0; start < len(members); start += chunk {
		end := min(start+chunk, len(members))
		var q strings.Builder
		q.WriteString(`INSERT INTO area_members (area_code, area_level, lsoa_code, lsoa_vintage, population, population_share, method) VALUES `)
		args := make([]any, 0, 7*(end-start))
		for i, m := range members[start:end] {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?)")
			args = append(args, a.Code, CustomLevel, m.LSOACode, m.LSOAVintage, m.Population, m.Share, m.Method)
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("save custom area %s: members: %w", a.Code, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save custom area %s: %w", a.Code, err)
	}
	return nil
}

// RemoveCustomArea deletes a custom area and its members in one
// transaction. It fails with ErrNoCustomArea if there is none of that code.
func (db *DB) RemoveCustomArea(ctx context.Context, code string) error {
	if db.opts.ReadOnly {
		return fmt.Errorf("remove custom area %s: the warehouse is open read-only", code)
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("remove custom area %s: %w", code, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM areas WHERE code = ? AND level = ?`, code, CustomLevel)
	if err != nil {
		return fmt.Errorf("remove custom area %s: %w", code, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("remove custom area %s: %w", code, err)
	}
	if n == 0 {
		return fmt.Errorf("remove custom area %s: %w", code, ErrNoCustomArea)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM area_members WHERE area_code = ? AND area_level = ?`, code, CustomLevel); err != nil {
		return fmt.Errorf("remove custom area %s: %w", code, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("remove custom area %s: %w", code, err)
	}
	return nil
}
