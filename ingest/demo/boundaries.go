package demo

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/paulmach/orb"
)

// The boundary files are written the way ogr2ogr writes GeoJSON (the tool
// behind both the martinjc and the Trafford Data Lab files): one feature per
// line, "{ " and " }" padding, a legacy CRS84 "crs" member.

const crs84 = `"crs": { "type": "name", "properties": { "name": "urn:ogc:def:crs:OGC:1.3:CRS84" } },`

// prop is one feature property, written in order. Values are pre-encoded
// JSON.
type prop struct{ key, val string }

func jstr(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

type geomKind int

const (
	asPolygon geomKind = iota // Polygon, or MultiPolygon when there are several parts
	asMulti                   // always MultiPolygon
)

func writeCoords(b *bytes.Buffer, r orb.Ring) {
	b.WriteString("[ ")
	for i, p := range r {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("[ ")
		b.WriteString(num(p[0]))
		b.WriteString(", ")
		b.WriteString(num(p[1]))
		b.WriteString(" ]")
	}
	b.WriteString(" ]")
}

func writePoly(b *bytes.Buffer, p orb.Polygon) {
	b.WriteString("[ ")
	for i, r := range p {
		if i > 0 {
			b.WriteString(", ")
		}
		writeCoords(b, r)
	}
	b.WriteString(" ]")
}

func writeFeature(b *bytes.Buffer, props []prop, mp orb.MultiPolygon, kind geomKind) {
	b.WriteString(`{ "type": "Feature", "properties": { `)
	for i, p := range props {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(jstr(p.key))
		b.WriteString(": ")
		b.WriteString(p.val)
	}
	b.WriteString(` }, "geometry": { "type": `)
	if kind == asPolygon && len(mp) == 1 {
		b.WriteString(`"Polygon", "coordinates": `)
		writePoly(b, mp[0])
	} else {
		b.WriteString(`"MultiPolygon", "coordinates": [ `)
		for i, p := range mp {
			if i > 0 {
				b.WriteString(", ")
			}
			writePoly(b, p)
		}
		b.WriteString(" ]")
	}
	b.WriteString(" } }")
}

type feature struct {
	props []prop
	geom  orb.MultiPolygon
}

// featureCollection writes a FeatureCollection. name, when set, is the
// ogr2ogr layer name member; martinjc adds a line of 80 spaces after crs.
func featureCollection(name string, martinjc bool, kind geomKind, fs []feature) []byte {
	var b bytes.Buffer
	b.WriteString("{\n\"type\": \"FeatureCollection\",\n")
	if name != "" {
		b.WriteString(`"name": ` + jstr(name) + ",\n")
	}
	b.WriteString(crs84 + "\n")
	if martinjc {
		b.WriteString(strings.Repeat(" ", 80) + "\n")
	}
	b.WriteString("\"features\": [\n")
	for i, f := range fs {
		writeFeature(&b, f.props, f.geom, kind)
		if i < len(fs)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("]\n}\n")
	return b.Bytes()
}

func (w *world) writeBoundaries(o *output) error {
	var lsoa11, lsoa21, msoa21, wards []feature
	for _, l := range w.lsoas {
		lsoa11 = append(lsoa11, feature{[]prop{{"LSOA11CD", jstr(l.code)}, {"LSOA11NM", jstr(l.name)}}, l.geom})
		lsoa21 = append(lsoa21, feature{[]prop{{"area_code", jstr(l.code)}, {"area_name", jstr(l.name)}}, l.geom})
	}
	for _, m := range w.msoas {
		msoa21 = append(msoa21, feature{[]prop{{"area_code", jstr(m.code)}, {"area_name", jstr(m.name)}}, m.geom})
	}
	for _, wd := range w.wards {
		wards = append(wards, feature{[]prop{
			{"area_code", jstr(wd.code)},
			{"area_name", jstr(wd.name)},
			// The GM ward file has lon and lat as JSON strings.
			{"lon", jstr(num(roundN(wd.centroid[0], 5)))},
			{"lat", jstr(num(roundN(wd.centroid[1], 5)))},
			{"area", num(roundN(wd.m2, 3))},
			{"area_units", jstr("Square metres")},
			{"local_authority_area_code", jstr(LADCode)},
			{"local_authority_area_name", jstr(LADName)},
		}, wd.geom})
	}
	lad := []feature{{[]prop{
		{"area_code", jstr(LADCode)},
		{"area_name", jstr(LADName)},
		{"lon", num(roundN(w.lad.centroid[0], 5))},
		{"lat", num(roundN(w.lad.centroid[1], 5))},
		{"area", num(roundN(w.lad.m2, 3))},
		{"area_units", jstr("Square metres")},
	}, w.lad.geom}}

	files := []struct {
		dataset, rel string
		data         []byte
	}{
		{DatasetBoundariesLSOA11, "boundaries/lsoa2011_by_lad/" + LADCode + ".json", featureCollection("", true, asPolygon, lsoa11)},
		{DatasetBoundariesLSOA21, "boundaries/lsoa21.geojson", featureCollection("exampleton_lsoa_synthetic", false, asMulti, lsoa21)},
		{DatasetBoundariesMSOA21, "boundaries/msoa21.geojson", featureCollection("exampleton_msoa_synthetic", false, asMulti, msoa21)},
		{DatasetBoundariesWard, "boundaries/wards.geojson", featureCollection("exampleton_ward_synthetic", false, asPolygon, wards)},
		{DatasetBoundariesLAD, "boundaries/lad.geojson", featureCollection("exampleton_local_authority_synthetic", false, asPolygon, lad)},
	}
	for _, f := range files {
		if err := o.write(f.dataset, f.rel, f.data); err != nil {
			return err
		}
	}
	return nil
}
