package warehouse

import (
	"context"
	"fmt"
)

// Table describes a warehouse table for analysts.
type Table struct {
	Name    string
	Comment string
	Columns []Column
}

// Column describes one column.
type Column struct {
	Name, Type, Comment string
	Nullable            bool
}

// Tables lists the store's tables with their columns and the descriptions
// written in the migrations (COMMENT ON), in table-name order.
func (db *DB) Tables(ctx context.Context) ([]Table, error) {
	rows, err := db.sql.QueryContext(ctx, `
		SELECT t.table_name, coalesce(t.comment, ''), c.column_name, c.data_type, c.is_nullable, coalesce(c.comment, '')
		FROM duckdb_tables() t JOIN duckdb_columns() c USING (database_name, schema_name, table_name)
		WHERE t.database_name = 'store' AND t.schema_name = 'main' AND NOT t.internal AND t.table_name <> 'schema_version'
		ORDER BY t.table_name, c.column_index`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	var out []Table
	for rows.Next() {
		var tname, tcomment string
		var c Column
		if err := rows.Scan(&tname, &tcomment, &c.Name, &c.Type, &c.Nullable, &c.Comment); err != nil {
			return nil, fmt.Errorf("list tables: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].Name != tname {
			out = append(out, Table{Name: tname, Comment: tcomment})
		}
		out[len(out)-1].Columns = append(out[len(out)-1].Columns, c)
	}
	return out, rows.Err()
}
