package dashboard

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
)

// NearService is one service named on the profile, with its distance.
type NearService struct {
	Name, Address string
	Km            float64
}

// Distance reads the distance as people say it.
func (n NearService) Distance() string {
	switch {
	case n.Km < 0.1:
		return "under 0.1 km"
	case n.Km < 10:
		return strconv.FormatFloat(n.Km, 'f', 1, 64) + " km"
	}
	return strconv.FormatFloat(n.Km, 'f', 0, 64) + " km"
}

// ServiceGroup is one category of services in and near an area.
type ServiceGroup struct {
	Category, Label string
	Inside          int
	Examples        []NearService // some of those inside (small areas only)
	Nearest         []NearService // the nearest just outside
	MapURL          string
}

// ServicesSection lists the services in and near an area by category.
type ServicesSection struct {
	Groups   []ServiceGroup
	Inside   int
	Vintage  int
	ListSome bool
}

// nearRadius is how far outside the area (in degrees of latitude, about
// 6 km) services are looked for.
const nearRadius = 0.055

func (s *Server) servicesSection(ctx context.Context, a Area) (*ServicesSection, error) {
	return cachedSection(ctx, s, "services|"+a.Code+"|"+a.Level, func(ctx context.Context) (*ServicesSection, error) {
		return s.buildServicesSection(ctx, a)
	})
}

func (s *Server) buildServicesSection(ctx context.Context, a Area) (*ServicesSection, error) {
	d, err := s.directory(ctx)
	if err != nil {
		return nil, err
	}
	if _, ok := d.area(a.Code); !ok {
		return s.servicesSQL(ctx, a)
	}
	vintage := d.maxVintage(a.Code, a.Level)
	if vintage == 0 {
		return nil, nil
	}
	sec := &ServicesSection{Vintage: vintage, ListSome: a.Level != "lad"}
	// Inside: the service's neighbourhood is one of the area's. Outside
	// but near: within the box around the area, by distance to the nearest
	// neighbourhood centre of the area.
	all := d.membersOf(a.Code, a.Level, vintage)
	in := make(map[string]bool, len(all))
	var ms []member // with a centre
	x0, x1, y0, y1 := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, m := range all {
		l := m.lsoa
		in[l.Code] = true
		if l.Lon == 0 && l.Lat == 0 {
			continue // no centroid
		}
		ms = append(ms, m)
		x0, x1, y0, y1 = min(x0, l.Lon), max(x1, l.Lon), min(y0, l.Lat), max(y1, l.Lat)
	}
	type near struct {
		NearService
		cat    string
		inside bool
	}
	var found []near
	for _, sv := range d.servicesInBox(x0-nearRadius*1.7, x1+nearRadius*1.7, y0-nearRadius, y1+nearRadius, nil) {
		code := sv.lsoa11
		if vintage == 2021 {
			code = sv.lsoa21
		}
		n := near{NearService: NearService{Name: sv.name, Address: sv.address, Km: math.Inf(1)}, cat: sv.category, inside: in[code]}
		for _, m := range ms {
			n.Km = min(n.Km, haversineKm(m.lsoa.Lon, m.lsoa.Lat, sv.lon, sv.lat))
		}
		found = append(found, n)
	}
	slices.SortFunc(found, func(x, y near) int {
		if c := cmp.Compare(x.cat, y.cat); c != 0 {
			return c
		}
		if x.inside != y.inside {
			if x.inside {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(x.Km, y.Km), cmp.Compare(x.Name, y.Name))
	})
	byCat := map[string]*ServiceGroup{}
	for _, n := range found {
		g := byCat[n.cat]
		if g == nil {
			g = &ServiceGroup{Category: n.cat, Label: kindOf(n.cat).Label}
			byCat[n.cat] = g
		}
		if n.inside {
			g.Inside++
			if len(g.Examples) < 5 {
				n.Km = 0
				g.Examples = append(g.Examples, n.NearService)
			}
		} else if len(g.Nearest) < 3 {
			g.Nearest = append(g.Nearest, n.NearService)
		}
	}
	s.groupServices(sec, a, byCat)
	return sec, nil
}

// groupServices adds the groups to the section in the key's order, so the
// same categories always come first.
func (s *Server) groupServices(sec *ServicesSection, a Area, byCat map[string]*ServiceGroup) {
	for _, k := range serviceKinds {
		g, ok := byCat[k.Category]
		if !ok {
			continue
		}
		q := url.Values{}
		q.Set("area", a.Code)
		q.Set("bbox", bboxString([4]float64{a.MinX, a.MinY, a.MaxX, a.MaxY}))
		q.Set("layers", k.Category)
		g.MapURL = "/map?" + q.Encode()
		sec.Inside += g.Inside
		sec.Groups = append(sec.Groups, *g)
	}
}

// servicesSQL is the services section of an area the directory does not
// know yet.
func (s *Server) servicesSQL(ctx context.Context, a Area) (*ServicesSection, error) {
	var vintage int
	if err := s.db.SQL().QueryRowContext(ctx, `SELECT coalesce(max(lsoa_vintage), 0) FROM area_lsoas WHERE area_code = ? AND area_level = ?`,
		a.Code, a.Level).Scan(&vintage); err != nil {
		return nil, fmt.Errorf("services of %s: %w", a.Code, err)
	}
	if vintage == 0 {
		return nil, nil
	}
	col := "lsoa11_code"
	if vintage == 2021 {
		col = "lsoa21_code"
	}
	sec := &ServicesSection{Vintage: vintage, ListSome: a.Level != "lad"}
	// Inside: the service's neighbourhood is one of the area's. Outside
	// but near: within the box around the area, by distance to the nearest
	// neighbourhood centre of the area (haversine, km).
	rows, err := s.db.SQL().QueryContext(ctx, `
		WITH m AS (
			SELECT l.code, l.centroid_lon AS lon, l.centroid_lat AS lat FROM area_lsoas al
			JOIN areas l ON l.code = al.lsoa_code AND l.vintage = al.lsoa_vintage AND l.level IN ('lsoa11', 'lsoa21')
			WHERE al.area_code = $1 AND al.area_level = $2 AND al.lsoa_vintage = $3),
		box AS (SELECT min(lon) - $4 * 1.7 AS x0, max(lon) + $4 * 1.7 AS x1, min(lat) - $4 AS y0, max(lat) + $4 AS y1 FROM m),
		sv AS (
			SELECT s.category, coalesce(s.name, '') AS name, trim(coalesce(s.address, '') || ' ' || coalesce(s.postcode, '')) AS address,
			       s.lon, s.lat, coalesce(s.`+col+` IN (SELECT code FROM m), false) AS inside
			FROM services s, box
			WHERE s.status = 'open' AND s.lon BETWEEN box.x0 AND box.x1 AND s.lat BETWEEN box.y0 AND box.y1
			-- The same place from two sources (national and local lists) counts once.
			QUALIFY row_number() OVER (PARTITION BY s.category, regexp_replace(lower(coalesce(s.name, '')), '[^a-z0-9]', '', 'g'),
			                                        round(s.lon, 2), round(s.lat, 2) ORDER BY s.dataset, s.id) = 1),
		d AS (
			-- Places, not names: many post offices are just "Post Office".
			SELECT sv.category, sv.name, sv.address, sv.inside, sv.lon, sv.lat,
			       min(2 * 6371 * asin(sqrt(power(sin(radians(sv.lat - m.lat) / 2), 2) +
			           cos(radians(m.lat)) * cos(radians(sv.lat)) * power(sin(radians(sv.lon - m.lon) / 2), 2)))) AS km
			FROM sv, m GROUP BY ALL),
		ranked AS (SELECT *, row_number() OVER (PARTITION BY category, inside ORDER BY km, name) AS rn,
		                  count(*) FILTER (WHERE inside) OVER (PARTITION BY category) AS n_inside FROM d)
		SELECT category, name, address, inside, km, n_inside FROM ranked
		WHERE rn <= CASE WHEN inside THEN 5 ELSE 3 END
		ORDER BY category, inside DESC, km, name`, a.Code, a.Level, vintage, nearRadius)
	if err != nil {
		return nil, fmt.Errorf("services of %s: %w", a.Code, err)
	}
	defer rows.Close()
	byCat := map[string]*ServiceGroup{}
	for rows.Next() {
		var cat string
		var n NearService
		var inside bool
		var nInside int
		if err := rows.Scan(&cat, &n.Name, &n.Address, &inside, &n.Km, &nInside); err != nil {
			return nil, err
		}
		g := byCat[cat]
		if g == nil {
			g = &ServiceGroup{Category: cat, Label: kindOf(cat).Label, Inside: nInside}
			byCat[cat] = g
		}
		if inside {
			n.Km = 0
			g.Examples = append(g.Examples, n)
		} else {
			g.Nearest = append(g.Nearest, n)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	s.groupServices(sec, a, byCat)
	return sec, nil
}

// More is how many inside the area are not named.
func (g ServiceGroup) More() int { return max(0, g.Inside-len(g.Examples)) }
