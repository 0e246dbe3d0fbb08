package queries

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"time"

	"commonground/warehouse"
)

// versionTTL is how long a warehouse version, once read, is trusted: a
// profile makes dozens of calls, and reading ingest_runs for each cost
// more than the answers. Writes made in this process call Invalidate (or
// Catalog.Reset), so they are seen at once; others within versionTTL.
var versionTTL = 2 * time.Second

// warehouses holds, per warehouse, the version last read and what it
// yields. Entries keep their *warehouse.DB alive, so a pointer is never
// reused for another warehouse while it has an entry.
var warehouses = struct {
	sync.Mutex
	m map[*warehouse.DB]*warehouseState
}{m: map[*warehouse.DB]*warehouseState{}}

// maxWarehouses bounds the registry (tests open many warehouses): past
// it, it starts again.
const maxWarehouses = 64

type warehouseState struct {
	mu      sync.Mutex
	checked time.Time
	cur     *shared
}

// shared is what one warehouse version yields for every catalogue and for
// Gaps: the code table (code numbers index the indicators' rows), the
// geography index and the gaps indexes.
type shared struct {
	db      *warehouse.DB
	version string

	mu    sync.Mutex
	codes map[string]int32
	byNum []string
	areas *lazy[*areaIndex]           // guarded by mu (replaced by refreshAreas)
	gaps  map[string]*lazy[*gapIndex] // by service key; guarded by mu
}

func newShared(db *warehouse.DB, version string) *shared {
	return &shared{db: db, version: version, codes: map[string]int32{}, areas: &lazy[*areaIndex]{}, gaps: map[string]*lazy[*gapIndex]{}}
}

// sharedFor returns what db's current version yields, reading the version
// at most every versionTTL.
func sharedFor(ctx context.Context, db *warehouse.DB) (*shared, error) {
	warehouses.Lock()
	st, ok := warehouses.m[db]
	if !ok {
		if len(warehouses.m) >= maxWarehouses {
			clear(warehouses.m)
		}
		st = &warehouseState{}
		warehouses.m[db] = st
	}
	warehouses.Unlock()
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.cur != nil && time.Since(st.checked) < versionTTL {
		return st.cur, nil
	}
	v, err := warehouseVersion(ctx, db)
	if err != nil {
		return nil, err
	}
	st.checked = time.Now()
	if st.cur == nil || st.cur.version != v {
		st.cur = newShared(db, v)
	}
	return st.cur, nil
}

// Invalidate forgets everything read from db (the version, the geography
// and gaps indexes), so the next call reads afresh. Call it after writing
// to the warehouse in this process (a custom area, service_access);
// Catalog.Reset does it for every warehouse.
func Invalidate(db *warehouse.DB) {
	warehouses.Lock()
	delete(warehouses.m, db)
	warehouses.Unlock()
}

func invalidateAll() {
	warehouses.Lock()
	clear(warehouses.m)
	warehouses.Unlock()
}

// intern numbers codes, adding new ones to the code table.
func (s *shared) intern(codes []string) []int32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]int32, len(codes))
	for i, c := range codes {
		n, ok := s.codes[c]
		if !ok {
			n = int32(len(s.byNum))
			s.codes[c] = n
			s.byNum = append(s.byNum, c)
		}
		out[i] = n
	}
	return out
}

func (s *shared) size() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byNum)
}

func (s *shared) code(i int32) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byNum[i]
}

// areaIndex returns the geography index, loading it on first use.
func (s *shared) areaIndex(ctx context.Context) (*areaIndex, error) {
	s.mu.Lock()
	l := s.areas
	s.mu.Unlock()
	return l.get(ctx, s.loadAreas)
}

// refreshAreas drops the geography and gaps indexes (keeping the code
// table, so the indicators' rows stay valid): an area was found in the
// warehouse that the index lacks, written without a new ingest run.
func (s *shared) refreshAreas() {
	s.mu.Lock()
	s.areas = &lazy[*areaIndex]{}
	s.gaps = map[string]*lazy[*gapIndex]{}
	s.mu.Unlock()
}

// areaIndex is the warehouse's geography in memory: what resolve,
// members, majorityLAD, names and Gaps used to ask SQL for on every call.
// Row orders are the tables' (and the area_lsoas view's) scan order, which
// is the order the old per-call queries returned, so sums add up the same.
type areaIndex struct {
	entries map[string]*areaEntry
	// sets: area_lsoas by area level and LSOA vintage: area -> its LSOAs.
	sets map[setKey]map[string][]int32
	// rev: from LSOA number n to the areas holding it,
	// rev[revOff[n]:revOff[n+1]], each with its set (keyList index).
	rev     []areaRef
	revOff  []int32
	keys    map[setKey]uint16
	keyList []setKey
	byID    []*areaEntry
	// wardCodes are the current wards (see loadAreas); wardLADs
	// the authorities such a row names (ward boundaries loaded).
	wardCodes map[string]bool
	wardLADs  map[string]bool
	// firstName: per level, the first non-null areas name of each code;
	// lastName the last (for levels other than ward, lsoa11, lsoa21).
	firstName map[string]map[string]string
	lastName  map[string]map[string]string
	// From lookup_lsoa_ward_lad: each ward's first ward name, each LSOA's
	// first name (any vintage), and per LSOA vintage.
	lookupWard     map[string]string
	lookupLSOA     map[string]string
	lookupLSOAByVt map[int]map[string]string
	// lsoas: the first areas row of each LSOA (by code and level).
	lsoas map[lsoaKey]lsoaRow
	// memberPop: area_members' population of (area, LSOA, vintage).
	memberPop map[memberKey]int64

	namesMu sync.Mutex
	names   map[string]map[string]string // per level, as names returns
}

type setKey struct {
	level   string
	vintage int
}

type areaRef struct {
	area int32 // areaIndex.byID
	key  uint16
}

// key numbers a set (level and vintage).
func (ix *areaIndex) key(level string, vintage int) uint16 {
	k := setKey{level, vintage}
	n, ok := ix.keys[k]
	if !ok {
		n = uint16(len(ix.keyList))
		ix.keys[k] = n
		ix.keyList = append(ix.keyList, k)
	}
	return n
}

type lsoaKey struct {
	lsoa  int32
	level string
}

type memberKey struct {
	area    string
	lsoa    int32
	vintage int
}

type lsoaRow struct {
	name, ward, lad  string
	hasPop           bool
	pop              int64
	lon, lat         float64
	hasName, hasWard bool
	hasLAD           bool
}

// areaRow is an areas row, as resolve and Gaps choose one per code.
type areaRow struct {
	level     string
	name, lad sql.NullString
	vintage   sql.NullInt64
	resPri    int
	gapPri    int
}

type vintageMembers struct {
	vintage int
	lsoas   []int32
}

// areaEntry is one code: the areas row resolve picks (lsoa21, then
// lsoa11, then any; newest vintage first), the one Gaps picks (lad,
// custom, ward, lsoa11, then any), and its area_lsoas rows.
type areaEntry struct {
	code        string
	id          int32
	mixed       bool // area_lsoas rows of several levels
	res, gap    *areaRow
	memberLevel string // the level of its last area_lsoas row
	members     []vintageMembers
}

func (e *areaEntry) vintage(v int) []int32 {
	for _, m := range e.members {
		if m.vintage == v {
			return m.lsoas
		}
	}
	return nil
}

func resolvePri(level string) int {
	switch level {
	case LevelLSOA21:
		return 0
	case LevelLSOA11:
		return 1
	}
	return 2
}

func gapPri(level string) int {
	switch level {
	case LevelLAD:
		return 0
	case LevelCustom:
		return 1
	case LevelWard:
		return 2
	case LevelLSOA11:
		return 3
	}
	return 4
}

// before orders candidates as ORDER BY pri, vintage DESC (NULLS LAST),
// keeping the first scanned on ties.
func before(pa int, va sql.NullInt64, pb int, vb sql.NullInt64) bool {
	if pa != pb {
		return pa < pb
	}
	if va.Valid != vb.Valid {
		return va.Valid
	}
	return va.Valid && va.Int64 > vb.Int64
}

func (s *shared) loadAreas(ctx context.Context) (*areaIndex, error) {
	ix := &areaIndex{
		entries: map[string]*areaEntry{}, sets: map[setKey]map[string][]int32{}, keys: map[setKey]uint16{},
		wardCodes: map[string]bool{}, wardLADs: map[string]bool{},
		firstName: map[string]map[string]string{}, lastName: map[string]map[string]string{},
		lookupWard: map[string]string{}, lookupLSOA: map[string]string{}, lookupLSOAByVt: map[int]map[string]string{},
		lsoas: map[lsoaKey]lsoaRow{}, memberPop: map[memberKey]int64{}, names: map[string]map[string]string{},
	}
	entry := func(code string) *areaEntry {
		e := ix.entries[code]
		if e == nil {
			e = &areaEntry{code: code, id: int32(len(ix.byID))}
			ix.entries[code] = e
			ix.byID = append(ix.byID, e)
		}
		return e
	}
	type lsoaAreaRow struct {
		code, level string
		row         lsoaRow
	}
	var lsoaRows []lsoaAreaRow
	type wardRow struct {
		code, lad string
		vintage   int64
	}
	var wardRows []wardRow
	lsoaWards := map[string]bool{}
	err := scanEach(ctx, s.db, `SELECT code, level, name, vintage, lad_code, ward_code, population, centroid_lon, centroid_lat FROM areas`,
		func(rows *sql.Rows) error {
			var code, level string
			var name, lad, ward sql.NullString
			var vintage, pop sql.NullInt64
			var lon, lat sql.NullFloat64
			if err := rows.Scan(&code, &level, &name, &vintage, &lad, &ward, &pop, &lon, &lat); err != nil {
				return err
			}
			r := &areaRow{level: level, name: name, lad: lad, vintage: vintage, resPri: resolvePri(level), gapPri: gapPri(level)}
			e := entry(code)
			if e.res == nil || before(r.resPri, r.vintage, e.res.resPri, e.res.vintage) {
				e.res = r
			}
			if e.gap == nil || before(r.gapPri, r.vintage, e.gap.gapPri, e.gap.vintage) {
				e.gap = r
			}
			if level == LevelWard {
				wardRows = append(wardRows, wardRow{code, lad.String, vintage.Int64})
				if lad.Valid {
					ix.wardLADs[lad.String] = true
				}
			}
			if (level == LevelLSOA11 || level == LevelLSOA21) && ward.Valid {
				lsoaWards[ward.String] = true
			}
			if name.Valid {
				fm := ix.firstName[level]
				if fm == nil {
					fm = map[string]string{}
					ix.firstName[level] = fm
				}
				if _, ok := fm[code]; !ok {
					fm[code] = name.String
				}
				switch level {
				case LevelWard, LevelLSOA11, LevelLSOA21:
				default:
					lm := ix.lastName[level]
					if lm == nil {
						lm = map[string]string{}
						ix.lastName[level] = lm
					}
					lm[code] = name.String
				}
			}
			if level == LevelLSOA11 || level == LevelLSOA21 {
				lsoaRows = append(lsoaRows, lsoaAreaRow{code, level, lsoaRow{
					name: name.String, hasName: name.Valid, ward: ward.String, hasWard: ward.Valid, lad: lad.String, hasLAD: lad.Valid,
					pop: pop.Int64, hasPop: pop.Valid, lon: lon.Float64, lat: lat.Float64}})
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("geography index: areas: %w", err)
	}
	// An authority's wards are its newest set (boundaries, or a newer
	// lookup's wards, which have rows without geometry) and the older
	// wards its LSOAs still name (codes that did not change): not also the
	// wards a newer set replaced.
	newest := map[string]int64{}
	for _, w := range wardRows {
		newest[w.lad] = max(newest[w.lad], w.vintage)
	}
	for _, w := range wardRows {
		if w.vintage == newest[w.lad] || lsoaWards[w.code] {
			ix.wardCodes[w.code] = true
		}
	}
	codes := make([]string, len(lsoaRows))
	for i, r := range lsoaRows {
		codes[i] = r.code
	}
	for i, n := range s.intern(codes) {
		k := lsoaKey{n, lsoaRows[i].level}
		if _, ok := ix.lsoas[k]; !ok {
			ix.lsoas[k] = lsoaRows[i].row
		}
	}

	var areaCodes, levels, lsoaCodes []string
	var vintages []int
	err = scanEach(ctx, s.db, `SELECT area_code, area_level, lsoa_code, coalesce(lsoa_vintage, 0) FROM area_lsoas`,
		func(rows *sql.Rows) error {
			var a, l, c string
			var v int
			err := rows.Scan(&a, &l, &c, &v)
			areaCodes, levels, lsoaCodes, vintages = append(areaCodes, a), append(levels, l), append(lsoaCodes, c), append(vintages, v)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("geography index: area_lsoas: %w", err)
	}
	nums := s.intern(lsoaCodes)
	type rowRef struct {
		e   *areaEntry
		key uint16
	}
	refs := make([]rowRef, len(nums))
	for i, n := range nums {
		e, k := entry(areaCodes[i]), ix.key(levels[i], vintages[i])
		level, v := ix.keyList[k].level, vintages[i]
		if e.memberLevel != "" && e.memberLevel != level {
			e.mixed = true
		}
		e.memberLevel = level
		j := 0
		for j < len(e.members) && e.members[j].vintage != v {
			j++
		}
		if j == len(e.members) {
			e.members = append(e.members, vintageMembers{vintage: v})
		}
		e.members[j].lsoas = append(e.members[j].lsoas, n)
		refs[i] = rowRef{e, k}
	}
	areaCodes, levels, lsoaCodes = nil, nil, nil
	// sets: an area's LSOAs of a level and vintage are its members of
	// that vintage (the same slice), unless it has rows of several levels.
	set := func(k setKey) map[string][]int32 {
		m := ix.sets[k]
		if m == nil {
			m = map[string][]int32{}
			ix.sets[k] = m
		}
		return m
	}
	for i, n := range nums {
		if e := refs[i].e; e.mixed {
			m := set(ix.keyList[refs[i].key])
			m[e.code] = append(m[e.code], n)
		}
	}
	for _, e := range ix.byID {
		if !e.mixed {
			for _, vm := range e.members {
				set(setKey{e.memberLevel, vm.vintage})[e.code] = vm.lsoas
			}
		}
	}
	// rev: for each LSOA number, the (area, set) pairs holding it, in
	// scan order (one array, offsets by LSOA number).
	ix.revOff = make([]int32, s.size()+1)
	for _, n := range nums {
		ix.revOff[n+1]++
	}
	for i := 1; i < len(ix.revOff); i++ {
		ix.revOff[i] += ix.revOff[i-1]
	}
	ix.rev = make([]areaRef, len(nums))
	next := slices.Clone(ix.revOff[:len(ix.revOff)-1])
	for i, n := range nums {
		ix.rev[next[n]] = areaRef{area: refs[i].e.id, key: refs[i].key}
		next[n]++
	}

	err = scanEach(ctx, s.db, `SELECT lsoa_code, lsoa_name, lsoa_vintage, ward_code, ward_name FROM lookup_lsoa_ward_lad`,
		func(rows *sql.Rows) error {
			var lsoa string
			var v int
			var lsoaName, ward, wardName sql.NullString
			if err := rows.Scan(&lsoa, &lsoaName, &v, &ward, &wardName); err != nil {
				return err
			}
			if ward.Valid && wardName.Valid {
				if _, ok := ix.lookupWard[ward.String]; !ok {
					ix.lookupWard[ward.String] = wardName.String
				}
			}
			if lsoaName.Valid {
				if _, ok := ix.lookupLSOA[lsoa]; !ok {
					ix.lookupLSOA[lsoa] = lsoaName.String
				}
				m := ix.lookupLSOAByVt[v]
				if m == nil {
					m = map[string]string{}
					ix.lookupLSOAByVt[v] = m
				}
				if _, ok := m[lsoa]; !ok {
					m[lsoa] = lsoaName.String
				}
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("geography index: lookup names: %w", err)
	}

	var mAreas, mLSOAs []string
	var mVintages []int
	var mPops []int64
	err = scanEach(ctx, s.db, `SELECT area_code, lsoa_code, lsoa_vintage, population FROM area_members WHERE population IS NOT NULL`,
		func(rows *sql.Rows) error {
			var a, l string
			var v int
			var p int64
			err := rows.Scan(&a, &l, &v, &p)
			mAreas, mLSOAs, mVintages, mPops = append(mAreas, a), append(mLSOAs, l), append(mVintages, v), append(mPops, p)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("geography index: area members: %w", err)
	}
	for i, n := range s.intern(mLSOAs) {
		k := memberKey{mAreas[i], n, mVintages[i]}
		if _, ok := ix.memberPop[k]; !ok {
			ix.memberPop[k] = mPops[i]
		}
	}
	return ix, nil
}

// members is the LSOAs of the areas of a level, within a parent area when
// within is not "" (areas straddling it are included whole; an authority
// with ward boundaries loaded lists those wards only, not also the older
// lookup wards they replaced). The slices are shared: do not change them.
func (ix *areaIndex) members(level string, vintage int, within string) map[string][]int32 {
	k := setKey{level, vintage}
	set := ix.sets[k]
	if within == "" {
		if set == nil {
			return map[string][]int32{}
		}
		return set
	}
	out := map[string][]int32{}
	e := ix.entries[within]
	if e == nil {
		return out
	}
	kn, ok := ix.keys[k]
	if !ok {
		return out
	}
	wardsOnly := level == LevelWard && ix.wardLADs[within]
	for _, n := range e.vintage(vintage) {
		if int(n)+1 >= len(ix.revOff) {
			continue
		}
		for _, r := range ix.rev[ix.revOff[n]:ix.revOff[n+1]] {
			if r.key != kn {
				continue
			}
			code := ix.byID[r.area].code
			if _, ok := out[code]; ok {
				continue
			}
			if wardsOnly && !ix.wardCodes[code] {
				continue
			}
			out[code] = set[code]
		}
	}
	return out
}

// lookupName is a ward's or LSOA's name from the LSOA lookup.
func (ix *areaIndex) lookupName(code string) string {
	if n, ok := ix.lookupWard[code]; ok {
		return n
	}
	return ix.lookupLSOA[code]
}

// majorityLAD is the local authority holding most of an area's residents
// on its newest LSOA vintage (area_members' populations, else the LSOAs'
// own), ties going to the authority with more LSOAs, then the lower code.
func (ix *areaIndex) majorityLAD(code string) string {
	e := ix.entries[code]
	if e == nil {
		return ""
	}
	type group struct {
		vintage int
		lad     string
	}
	type sums struct {
		pop float64
		n   int
	}
	groups := map[group]*sums{}
	for _, vm := range e.members {
		level := LevelLSOA21
		if vm.vintage == 2011 {
			level = LevelLSOA11
		}
		for _, n := range vm.lsoas {
			a, ok := ix.lsoas[lsoaKey{n, level}]
			if !ok || !a.hasLAD {
				continue
			}
			pop, ok := ix.memberPop[memberKey{code, n, vm.vintage}]
			if !ok && a.hasPop {
				pop = a.pop
			}
			g := groups[group{vm.vintage, a.lad}]
			if g == nil {
				g = &sums{}
				groups[group{vm.vintage, a.lad}] = g
			}
			g.pop += float64(pop)
			g.n++
		}
	}
	var best *group
	var bs *sums
	for k, c := range groups {
		if best == nil || k.vintage > best.vintage ||
			(k.vintage == best.vintage && (c.pop > bs.pop || (c.pop == bs.pop && (c.n > bs.n || (c.n == bs.n && k.lad < best.lad))))) {
			k := k
			best, bs = &k, c
		}
	}
	if best == nil {
		return ""
	}
	return best.lad
}

// levelNames is the names of a level's areas (not lad or country): the
// areas rows' names, and for wards and LSOAs the lookup's where no
// boundary has one. Built once per index; the map is shared.
func (ix *areaIndex) levelNames(level string) map[string]string {
	ix.namesMu.Lock()
	defer ix.namesMu.Unlock()
	if m, ok := ix.names[level]; ok {
		return m
	}
	m := map[string]string{}
	switch level {
	case LevelWard, LevelLSOA11, LevelLSOA21:
		var look map[string]string
		switch level {
		case LevelWard:
			look = ix.lookupWard
		case LevelLSOA11:
			look = ix.lookupLSOAByVt[2011]
		default:
			look = ix.lookupLSOAByVt[2021]
		}
		for c, n := range look {
			m[c] = n
		}
		for c, n := range ix.firstName[level] {
			m[c] = n
		}
	default:
		for c, n := range ix.lastName[level] {
			m[c] = n
		}
	}
	ix.names[level] = m
	return m
}

// areaInWarehouse asks the warehouse whether an area the index lacks is there: an
// area written since the index was read, without a new ingest run.
func areaInWarehouse(ctx context.Context, db *warehouse.DB, code, lsoasLevel string) (bool, error) {
	var n int
	err := db.SQL().QueryRowContext(ctx, `SELECT (SELECT count(*) FROM areas WHERE code = $1)
		+ (SELECT count(*) FROM area_lsoas WHERE area_code = $1 AND ($2 = '' OR area_level = $2))`, code, lsoasLevel).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("area %s: %w", code, err)
	}
	return n > 0, nil
}
