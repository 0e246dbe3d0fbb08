package format

import (
	"encoding/csv"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
)

func dms(d, m, s float64) float64 { return d + m/60 + s/3600 }

// metres returns the distance between two lon/lat points in metres
// (equirectangular; exact enough at metre scale).
func metres(lon1, lat1, lon2, lat2 float64) float64 {
	const r = 6371000.0
	rad := math.Pi / 180
	x := (lon2 - lon1) * rad * math.Cos((lat1+lat2)/2*rad)
	y := (lat2 - lat1) * rad
	return r * math.Hypot(x, y)
}

// TestBNGTransverseMercatorOSWorkedExample checks the projection alone
// against the OS guide's worked example (Annex C): OSGB36 52°39'27.2531"N
// 1°43'4.5177"E is E 651409.903 N 313177.270.
func TestBNGTransverseMercatorOSWorkedExample(t *testing.T) {
	phi, lam := dms(52, 39, 27.2531)*math.Pi/180, dms(1, 43, 4.5177)*math.Pi/180
	e, n := tmForward(phi, lam)
	if math.Abs(e-651409.903) > 0.001 || math.Abs(n-313177.270) > 0.001 {
		t.Errorf("forward: E %.4f N %.4f, want 651409.903 313177.270", e, n)
	}
	p2, l2 := tmInverse(651409.903, 313177.270)
	if math.Abs(p2-phi)*180/math.Pi*3600 > 1e-4 || math.Abs(l2-lam)*180/math.Pi*3600 > 1e-4 {
		t.Errorf("inverse: %.10f %.10f, want %.10f %.10f", p2*180/math.Pi, l2*180/math.Pi, phi*180/math.Pi, lam*180/math.Pi)
	}
}

// osTestPoints are OS OSTN15 test points (OSTN15_OSGM15 test input/output
// files: ETRS89 lat/lon and OSGB36 E/N by OSTN15) on the mainland of England,
// Wales and Scotland. ETRS89 and WGS84 differ by under a metre.
var osTestPoints = []struct {
	name     string
	lat, lon float64
	e, n     float64
}{
	{"BLAC", 53.77911025694444, -3.040454906944444, 331534.552, 431920.792},
	{"BRIS", 51.42754743361111, -2.544076186111111, 362269.979, 169978.688},
	{"CARL", 54.89542340527777, -2.938277414722223, 339921.133, 556034.759},
	{"CARM", 51.8589089675, -4.308524766111111, 241124.573, 220332.638},
	{"COLC", 51.89436637527778, 0.897243275, 599445.578, 225722.824},
	{"DARE", 53.34480280666667, -2.640493207222222, 357455.831, 383290.434},
	{"DROI", 52.25529381638889, -2.154586149444444, 389544.178, 261912.151},
	{"EDIN", 55.9247826525, -3.294792187777777, 319188.423, 670947.532},
	{"FLA1", 54.11685144333333, -0.07773132666666667, 525745.658, 470703.211},
	{"GLAS", 55.85399952972222, -4.296490155555555, 256340.914, 664697.266},
	{"KING", 52.75136687444444, 0.4015354769444445, 562180.535, 319784.993},
	{"LEED", 53.80021519916667, -1.663791675833333, 422242.174, 433818.699},
	{"LIZ1", 49.96006138305556, -5.203046100277778, 170370.706, 11572.404},
	{"LOND", 51.48936564611111, -0.1199255641666667, 530624.963, 178388.461},
	{"NEWC", 54.97912274, -1.616576845555556, 424639.343, 565012.700},
	{"NFO1", 51.37447025916666, 1.444547306944445, 639821.823, 169565.856},
	{"NORT", 52.25160950916667, -0.91248957, 474335.957, 262047.752},
	{"NOTT", 52.962191095, -1.197476561666667, 454002.822, 340834.941},
	{"OSHQ", 50.9312793775, -1.450514340555556, 438710.908, 114792.248},
	{"PLYM", 50.43885825472222, -4.108645639722222, 250359.798, 62016.567},
}

// TestBNGToWGS84OSTestPoints: the Helmert route must land within 10 m of
// OSTN15 at every mainland OS test point.
func TestBNGToWGS84OSTestPoints(t *testing.T) {
	worst := 0.0
	for _, p := range osTestPoints {
		lon, lat := BNGToWGS84(p.e, p.n)
		d := metres(lon, lat, p.lon, p.lat)
		worst = math.Max(worst, d)
		if d > 10 {
			t.Errorf("%s: BNGToWGS84(%v, %v) = %.7f, %.7f, %.1f m from OSTN15 %.7f, %.7f", p.name, p.e, p.n, lon, lat, d, p.lon, p.lat)
		}
		e, n := WGS84ToBNG(p.lon, p.lat)
		if d := math.Hypot(e-p.e, n-p.n); d > 10 {
			t.Errorf("%s: WGS84ToBNG = %.3f, %.3f, %.1f m from OSTN15", p.name, e, n, d)
		}
	}
	t.Logf("worst Helmert error at the OS test points: %.2f m", worst)
}

// TestBNGGreenwich: the Airy transit circle at Greenwich (WGS84 51.477811 N,
// 0.001475 W, about 102 m west of the IERS meridian) defines the OSGB36
// prime meridian, so its OSGB36 longitude should be 0. We measure 10.0 m
// (the Helmert's own ~5 m error plus the old datum's drift); a sign slip in
// any rotation would move it by 25 m or more, hence the 15 m tolerance.
func TestBNGGreenwich(t *testing.T) {
	x, y, z := geodeticToCartesian(51.477811*math.Pi/180, -0.001475*math.Pi/180, wgsA, wgsB)
	x, y, z = helmert(x, y, z, -1)
	phi, lam := cartesianToGeodetic(x, y, z, airyA, airyB)
	d := lam * 180 / math.Pi * 111320 * math.Cos(phi)
	t.Logf("Airy transit circle: OSGB36 longitude %.7f deg (%.1f m east of the meridian), latitude %.7f", lam*180/math.Pi, d, phi*180/math.Pi)
	if math.Abs(d) > 15 {
		t.Errorf("Airy transit circle is %.1f m from OSGB36 longitude 0", d)
	}
}

// TestBNGRoundTrip: WGS84 -> BNG -> WGS84 closes to 1e-6 degrees over a grid
// covering Great Britain.
func TestBNGRoundTrip(t *testing.T) {
	worst := 0.0
	for lat := 49.9; lat <= 60.9; lat += 0.25 {
		for lon := -8.0; lon <= 1.8; lon += 0.25 {
			e, n := WGS84ToBNG(lon, lat)
			lon2, lat2 := BNGToWGS84(e, n)
			d := math.Max(math.Abs(lon2-lon), math.Abs(lat2-lat))
			worst = math.Max(worst, d)
			if d > 1e-6 {
				t.Fatalf("(%v, %v) -> (%v, %v) -> (%v, %v)", lon, lat, e, n, lon2, lat2)
			}
		}
	}
	t.Logf("worst round-trip error %.2g deg", worst)
}

// TestBNGAgainstGIAS converts every school's easting/northing in the GIAS
// extract and compares it with the published longitude/latitude.
func TestBNGAgainstGIAS(t *testing.T) {
	dir := geoDataDir(t)
	f, err := os.Open(filepath.Join(dir, "services", "gias", "gias_open_schools_england_20250524_derived.csv"))
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	head, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	var errs []float64
	skipped := 0
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var v [4]float64
		ok := true
		for i, name := range []string{"easting", "northing", "longitude", "latitude"} {
			x, err := strconv.ParseFloat(rec[col[name]], 64)
			if err != nil || rec[col[name]] == "" {
				ok = false
				break
			}
			v[i] = x
		}
		if !ok || v[0] == 0 {
			skipped++
			continue
		}
		lon, lat := BNGToWGS84(v[0], v[1])
		d := metres(lon, lat, v[2], v[3])
		errs = append(errs, d)
		if d > 20 {
			t.Errorf("URN %s: E %v N %v -> %.6f %.6f, published %.6f %.6f: %.1f m", rec[col["urn"]], v[0], v[1], lon, lat, v[2], v[3], d)
		}
	}
	if len(errs) < 25000 {
		t.Fatalf("only %d schools with coordinates", len(errs))
	}
	sort.Float64s(errs)
	t.Logf("%d schools (%d without coordinates): median %.4f m, p99 %.4f m, max %.4f m",
		len(errs), skipped, errs[len(errs)/2], errs[len(errs)*99/100], errs[len(errs)-1])
}
