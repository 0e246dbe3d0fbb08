package format

import "math"

// British National Grid (OSGB36 / EPSG:27700) to and from WGS84.
//
// The conversion follows Ordnance Survey, "A guide to coordinate systems in
// Great Britain" (v3.6): the Transverse Mercator series of Annex C on the
// Airy 1830 ellipsoid, then a 7-parameter Helmert transformation between
// OSGB36 and WGS84 through earth-centred cartesian coordinates (section 6.6).
// The Helmert transformation is good to about 5 m across Great Britain (worse
// on the outer islands); OSTN15, the official grid-based transformation,
// would give about 0.1 m but needs a 15 MB correction grid. 5 m is well under
// the generalisation of the boundary files we read. Heights are taken as 0 on
// the source ellipsoid and dropped after the transformation.

// Airy 1830 ellipsoid and the National Grid projection (OS guide, Annex A).
const (
	airyA  = 6377563.396
	airyB  = 6356256.909
	bngF0  = 0.9996012717
	bngE0  = 400000.0
	bngN0  = -100000.0
	bngLa0 = 49 * math.Pi / 180
	bngLo0 = -2 * math.Pi / 180
)

// WGS84 (GRS80 for ETRS89, identical at this accuracy).
const (
	wgsA = 6378137.0
	wgsB = 6356752.314245
)

// OSGB36 -> WGS84 Helmert parameters (OS guide, table 6, signs reversed as
// the guide gives WGS84 -> OSGB36): metres, parts per million, arc seconds.
const (
	helmTx = 446.448
	helmTy = -125.157
	helmTz = 542.060
	helmS  = -20.4894
	helmRx = 0.1502
	helmRy = 0.2470
	helmRz = 0.8421
)

const arcsec = math.Pi / (180 * 3600)

// BNGToWGS84 converts a British National Grid easting and northing (metres,
// OSGB36) to WGS84 longitude and latitude in degrees. Accuracy is about 5 m
// (7-parameter Helmert; OSTN15 would give about 0.1 m). It is pure and safe
// for concurrent use.
func BNGToWGS84(easting, northing float64) (lon, lat float64) {
	phi, lam := tmInverse(easting, northing)
	x, y, z := geodeticToCartesian(phi, lam, airyA, airyB)
	x, y, z = helmert(x, y, z, 1)
	phi, lam = cartesianToGeodetic(x, y, z, wgsA, wgsB)
	return lam * 180 / math.Pi, phi * 180 / math.Pi
}

// WGS84ToBNG converts WGS84 longitude and latitude in degrees to a British
// National Grid easting and northing in metres. It is the exact inverse of
// BNGToWGS84 (round trips agree to well under a millimetre), so it carries
// the same ~5 m error against OSTN15.
func WGS84ToBNG(lon, lat float64) (easting, northing float64) {
	x, y, z := geodeticToCartesian(lat*math.Pi/180, lon*math.Pi/180, wgsA, wgsB)
	x, y, z = helmert(x, y, z, -1)
	phi, lam := cartesianToGeodetic(x, y, z, airyA, airyB)
	return tmForward(phi, lam)
}

// meridianArc is M of OS guide equation C3: the developed meridian arc from
// the true origin to latitude phi, scaled by F0.
func meridianArc(phi float64) float64 {
	const n = (airyA - airyB) / (airyA + airyB)
	const n2, n3 = n * n, n * n * n
	dp, sp := phi-bngLa0, phi+bngLa0
	return airyB * bngF0 * ((1+n+5.0/4*n2+5.0/4*n3)*dp -
		(3*n+3*n2+21.0/8*n3)*math.Sin(dp)*math.Cos(sp) +
		(15.0/8*n2+15.0/8*n3)*math.Sin(2*dp)*math.Cos(2*sp) -
		35.0/24*n3*math.Sin(3*dp)*math.Cos(3*sp))
}

// radii returns nu, rho and eta^2 at latitude phi on Airy 1830, scaled by F0
// (OS guide equation C2).
func radii(phi float64) (nu, rho, eta2 float64) {
	const e2 = (airyA*airyA - airyB*airyB) / (airyA * airyA)
	s := math.Sin(phi)
	w := 1 - e2*s*s
	nu = airyA * bngF0 / math.Sqrt(w)
	rho = airyA * bngF0 * (1 - e2) / (w * math.Sqrt(w))
	return nu, rho, nu/rho - 1
}

// tmForward projects OSGB36 latitude and longitude (radians) to the National
// Grid (OS guide, Annex C, C.1).
func tmForward(phi, lam float64) (e, n float64) {
	nu, rho, eta2 := radii(phi)
	s, c := math.Sincos(phi)
	t := math.Tan(phi)
	t2, t4 := t*t, t*t*t*t
	c3, c5 := c*c*c, c*c*c*c*c
	m := meridianArc(phi)
	i := m + bngN0
	ii := nu / 2 * s * c
	iii := nu / 24 * s * c3 * (5 - t2 + 9*eta2)
	iiia := nu / 720 * s * c5 * (61 - 58*t2 + t4)
	iv := nu * c
	v := nu / 6 * c3 * (nu/rho - t2)
	vi := nu / 120 * c5 * (5 - 18*t2 + t4 + 14*eta2 - 58*t2*eta2)
	dl := lam - bngLo0
	dl2 := dl * dl
	n = i + dl2*(ii+dl2*(iii+dl2*iiia))
	e = bngE0 + dl*(iv+dl2*(v+dl2*vi))
	return e, n
}

// tmInverse converts a National Grid easting and northing to OSGB36
// latitude and longitude in radians (OS guide, Annex C, C.2).
func tmInverse(e, n float64) (phi, lam float64) {
	phi = (n-bngN0)/(airyA*bngF0) + bngLa0
	for range 20 {
		d := n - bngN0 - meridianArc(phi)
		if math.Abs(d) < 1e-5 { // 0.01 mm
			break
		}
		phi += d / (airyA * bngF0)
	}
	nu, rho, eta2 := radii(phi)
	t := math.Tan(phi)
	t2, t4, t6 := t*t, t*t*t*t, t*t*t*t*t*t
	sec := 1 / math.Cos(phi)
	nu3, nu5, nu7 := nu*nu*nu, nu*nu*nu*nu*nu, nu*nu*nu*nu*nu*nu*nu
	vii := t / (2 * rho * nu)
	viii := t / (24 * rho * nu3) * (5 + 3*t2 + eta2 - 9*t2*eta2)
	ix := t / (720 * rho * nu5) * (61 + 90*t2 + 45*t4)
	x := sec / nu
	xi := sec / (6 * nu3) * (nu/rho + 2*t2)
	xii := sec / (120 * nu5) * (5 + 28*t2 + 24*t4)
	xiia := sec / (5040 * nu7) * (61 + 662*t2 + 1320*t4 + 720*t6)
	de := e - bngE0
	de2 := de * de
	phi = phi - de2*(vii-de2*(viii-de2*ix))
	lam = bngLo0 + de*(x-de2*(xi-de2*(xii-de2*xiia)))
	return phi, lam
}

// geodeticToCartesian converts latitude and longitude (radians, height 0) on
// the ellipsoid (a, b) to earth-centred cartesian coordinates (OS guide B.1).
func geodeticToCartesian(phi, lam, a, b float64) (x, y, z float64) {
	e2 := (a*a - b*b) / (a * a)
	sp, cp := math.Sincos(phi)
	sl, cl := math.Sincos(lam)
	nu := a / math.Sqrt(1-e2*sp*sp)
	return nu * cp * cl, nu * cp * sl, (1 - e2) * nu * sp
}

// cartesianToGeodetic is the inverse of geodeticToCartesian (OS guide B.2,
// iterated to 1e-12 rad); the height is discarded.
func cartesianToGeodetic(x, y, z, a, b float64) (phi, lam float64) {
	e2 := (a*a - b*b) / (a * a)
	p := math.Hypot(x, y)
	lam = math.Atan2(y, x)
	phi = math.Atan2(z, p*(1-e2))
	for range 10 {
		s := math.Sin(phi)
		nu := a / math.Sqrt(1-e2*s*s)
		next := math.Atan2(z+e2*nu*s, p)
		if math.Abs(next-phi) < 1e-12 {
			return next, lam
		}
		phi = next
	}
	return phi, lam
}

// helmert applies the OSGB36 -> WGS84 transformation (dir = 1) or its exact
// inverse (dir = -1, by solving the linear system rather than negating the
// parameters, so that round trips close).
func helmert(x, y, z float64, dir int) (float64, float64, float64) {
	s1 := 1 + helmS*1e-6
	rx, ry, rz := helmRx*arcsec, helmRy*arcsec, helmRz*arcsec
	// Position-vector convention (OS guide equation 6):
	// [X']   [tx]   [ s1  -rz   ry ] [X]
	// [Y'] = [ty] + [ rz   s1  -rx ] [Y]
	// [Z']   [tz]   [-ry   rx   s1 ] [Z]
	m := [3][3]float64{{s1, -rz, ry}, {rz, s1, -rx}, {-ry, rx, s1}}
	if dir > 0 {
		return helmTx + m[0][0]*x + m[0][1]*y + m[0][2]*z,
			helmTy + m[1][0]*x + m[1][1]*y + m[1][2]*z,
			helmTz + m[2][0]*x + m[2][1]*y + m[2][2]*z
	}
	// Solve m * v = p - t by Cramer's rule.
	px, py, pz := x-helmTx, y-helmTy, z-helmTz
	det := func(a [3][3]float64) float64 {
		return a[0][0]*(a[1][1]*a[2][2]-a[1][2]*a[2][1]) -
			a[0][1]*(a[1][0]*a[2][2]-a[1][2]*a[2][0]) +
			a[0][2]*(a[1][0]*a[2][1]-a[1][1]*a[2][0])
	}
	d := det(m)
	col := func(i int) float64 {
		a := m
		a[0][i], a[1][i], a[2][i] = px, py, pz
		return det(a) / d
	}
	return col(0), col(1), col(2)
}
