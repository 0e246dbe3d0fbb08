// Map explorer (/map). Reads its state from the data- attributes of #map
// (the CSP forbids inline scripts), draws the server's vector tiles with
// MapLibre GL JS, and joins an indicator's values to the areas by code with
// feature-state (the tiles carry each area's code; promoteId: "code").
// Every change is written back to the URL, so a link reproduces the view.
// The page works without this script: the form reloads the page, and the
// figures are in the table view.
(function () {
  "use strict";

  var el = document.getElementById("map");
  if (!el) return;

  // ---- State from the page -------------------------------------------------------

  function attr(name) { var v = el.getAttribute("data-" + name); return v == null ? "" : v; }
  function json(name, fallback) { try { var v = JSON.parse(attr(name)); return v == null ? fallback : v; } catch (e) { return fallback; } }

  var levels = json("levels", []);
  var indicators = json("indicators", []);
  var services = json("services", []);
  var limits = json("limits", [-11, 48.5, 3.5, 58]);
  var version = attr("version");
  var servicesMinZoom = parseInt(attr("services-minzoom"), 10) || 10;
  var basemap = attr("basemap");
  var state = {
    level: attr("level"),
    indicator: attr("indicator"),
    classes: attr("classes") === "jenks" ? "jenks" : "quantile",
    layers: attr("layers") ? attr("layers").split(",") : [],
    area: attr("area"),
    areaLevel: attr("area-level"),
    selected: attr("selected")
  };

  function byId(list, id, key) { for (var i = 0; i < list.length; i++) if (list[i][key || "id"] === id) return list[i]; return null; }
  function level() { return byId(levels, state.level) || { id: state.level, name: state.level, plural: "areas", minzoom: 0, indicators: [], bounds: limits }; }
  function indicator() { return state.indicator ? byId(indicators, state.indicator) : null; }
  function service(cat) { return byId(services, cat, "category"); }
  var LAD = byId(levels, "lad");

  // overview is what local authorities are shaded by when the map is zoomed
  // out too far for the chosen level's areas.
  function overview() {
    var ind = indicator(), L = level();
    if (!ind || !LAD || L.id === "lad" || !L.minzoom) return null;
    var id = ind.overview || (ind.levels.indexOf("lad") >= 0 ? ind.id : "");
    return id && LAD.indicators.indexOf(id) >= 0 ? byId(indicators, id) : null;
  }

  var ui = {
    form: document.getElementById("map-form"),
    levelSelect: document.getElementById("map-level"),
    indicatorSelect: document.getElementById("map-indicator"),
    classesSelect: document.getElementById("map-classes"),
    filterBox: document.getElementById("map-indicator-filter-box"),
    filter: document.getElementById("map-indicator-filter"),
    filterCount: document.getElementById("map-indicator-filter-count"),
    legend: document.getElementById("map-legend"),
    selection: document.getElementById("map-selection"),
    tooltip: document.getElementById("map-tooltip"),
    message: document.getElementById("map-message"),
    description: document.getElementById("map-description"),
    tableLink: document.getElementById("map-table-link"),
    csvLink: document.getElementById("map-csv-link"),
    jsonLink: document.getElementById("map-json-link"),
    status: document.getElementById("map-status")
  };

  if (!window.maplibregl) {
    var p = el.querySelector(".map-fallback");
    if (p) p.insertBefore(document.createTextNode("The map could not be loaded. "), p.firstChild);
    return;
  }

  // ---- Colours and classes -------------------------------------------------------------

  // Decile 1 (most deprived) is darkest: ColorBrewer PuBu, reversed, as on
  // the area pages. Single-hue sequential: readable in greyscale and with
  // colour-blindness.
  var DECILES = ["#023858", "#045a8d", "#0570b0", "#3690c0", "#74a9cf", "#a6bddb", "#d0d1e6", "#e7e3f0", "#f3f0f7", "#fff7fb"];
  // Five-class viridis for continuous values, light (low) to dark (high):
  // perceptually uniform, readable with every common colour-blindness
  // and in greyscale.
  var SEQUENTIAL = ["#fde725", "#5ec962", "#21918c", "#3b528b", "#440154"];
  var NO_DATA = "#bfc1c3";
  var TEXT = "#0b0c0c";

  function fmt(v, ind) {
    if (v == null || isNaN(v)) return "no data";
    var a = Math.abs(v);
    var s = a >= 100 ? Math.round(v).toLocaleString("en-GB") : a >= 1 || a === 0 ? (Math.round(v * 10) / 10).toLocaleString("en-GB") :
      (Math.round(v * 100) / 100).toLocaleString("en-GB");
    var u = ind ? ind.unit : "";
    if (u === "£ per head") return "£" + s + " per head";
    if (u === "count" || u === "rank") return s;
    return s + (u === "%" ? "%" : u ? " " + u : "");
  }

  // jenks returns the natural-breaks (Fisher–Jenks) lower bounds of classes
  // 2..k of sorted values: the split that minimises the variance within
  // classes. Quadratic in n, so large sets are sampled at evenly spaced
  // ranks first (which keeps their distribution).
  function jenks(sorted, k) {
    var data = sorted, max = 600;
    if (sorted.length > max) {
      data = [];
      for (var s = 0; s < max; s++) data.push(sorted[Math.round(s * (sorted.length - 1) / (max - 1))]);
    }
    var n = data.length, i, j, m;
    if (n <= k) return data.slice(1);
    var lower = [], variance = [];
    for (i = 0; i <= n; i++) {
      lower.push(new Array(k + 1).fill(0));
      variance.push(new Array(k + 1).fill(0));
    }
    for (j = 1; j <= k; j++) { lower[1][j] = 1; for (i = 2; i <= n; i++) variance[i][j] = Infinity; }
    for (i = 2; i <= n; i++) {
      var sum = 0, sumSq = 0, w = 0, v = 0;
      for (m = 1; m <= i; m++) {
        var lo = i - m + 1, x = data[lo - 1];
        sumSq += x * x; sum += x; w++;
        v = sumSq - (sum * sum) / w;
        if (lo > 1) {
          for (j = 2; j <= k; j++) {
            if (variance[i][j] >= v + variance[lo - 1][j - 1]) { lower[i][j] = lo; variance[i][j] = v + variance[lo - 1][j - 1]; }
          }
        }
      }
      lower[i][1] = 1; variance[i][1] = v;
    }
    var breaks = [], end = n;
    for (j = k; j >= 2; j--) { var start = lower[end][j]; breaks.unshift(data[start - 1]); end = start - 1; }
    return breaks;
  }

  // classify returns {colours, breaks, labels, n}: breaks[i] is the lowest
  // value of class i+1 (MapLibre "step" semantics).
  function classify(ind, values) {
    var vals = [];
    for (var k in values) if (typeof values[k] === "number") vals.push(values[k]);
    vals.sort(function (a, b) { return a - b; });
    var n = vals.length;
    if (ind.kind === "decile") {
      var labels = [];
      for (var d = 1; d <= 10; d++) labels.push(String(d));
      return { colours: DECILES, breaks: [2, 3, 4, 5, 6, 7, 8, 9, 10], labels: labels, n: n };
    }
    if (n === 0) return { colours: [], breaks: [], labels: [], n: 0 };
    var k5 = SEQUENTIAL.length, breaks = [], start = 0, run = 0;
    if (state.classes === "jenks") {
      jenks(vals, k5).forEach(function (b) { if (b > (breaks.length ? breaks[breaks.length - 1] : vals[0])) breaks.push(b); });
      return labelClasses(ind, vals, breaks, "jenks");
    }
    // Quantiles. When many areas share the lowest value (often 0), that
    // value is a class of its own and the rest are split into quantiles.
    while (run < n && vals[run] === vals[0]) run++;
    if (run >= n / k5 && run < n) { breaks.push(vals[run]); start = run; }
    var rest = k5 - breaks.length;
    for (var q = 1; q < rest; q++) {
      var b = vals[start + Math.floor((n - start) * q / rest)];
      if (b > (breaks.length ? breaks[breaks.length - 1] : vals[0])) breaks.push(b);
    }
    return labelClasses(ind, vals, breaks, "quantile");
  }

  // labelClasses labels each class with the range of its own values.
  function labelClasses(ind, vals, breaks, method) {
    var n = vals.length, k5 = SEQUENTIAL.length;
    var classes = breaks.length + 1, lo = [], hi = [], ci = 0;
    for (var i = 0; i < n; i++) {
      while (ci < breaks.length && vals[i] >= breaks[ci]) ci++;
      if (lo[ci] === undefined) lo[ci] = vals[i];
      hi[ci] = vals[i];
    }
    var colours = classes === 2 ? [SEQUENTIAL[1], SEQUENTIAL[4]] : classes === 3 ? [SEQUENTIAL[0], SEQUENTIAL[2], SEQUENTIAL[4]] : SEQUENTIAL.slice(k5 - classes);
    var out = [];
    for (var c = 0; c < classes; c++) out.push(lo[c] === undefined ? "" : lo[c] === hi[c] ? fmt(lo[c], ind) : fmt(lo[c], ind) + " to " + fmt(hi[c], ind));
    return { colours: colours, breaks: breaks, labels: out, n: n, method: method };
  }

  // stateful wraps a constant in a feature-state expression. A layer's paint
  // property must stay feature-state-driven from its creation: switching a
  // constant to a feature-state expression with setPaintProperty leaves
  // loaded tiles with the wrong binder, and MapLibre then throws
  // "this.expression.evaluate is not a function" when feature-state is set.
  function stateful(v) { return ["case", ["boolean", ["feature-state", "hover"], false], v, v]; }

  function fillExpression(cls) {
    if (!cls || cls.colours.length === 0) return stateful(NO_DATA);
    var step = ["step", ["to-number", ["feature-state", "v"]], cls.colours[0]];
    for (var i = 0; i < cls.breaks.length; i++) step.push(cls.breaks[i], cls.colours[i + 1]);
    return ["case", ["==", ["typeof", ["feature-state", "v"]], "number"], step, NO_DATA];
  }

  // ---- Indicator values: pluggable sources -------------------------------------------

  // An indicator names its source ("url" unless it says otherwise); a
  // source returns a promise of {code: value}. More can be added with
  // Commonground.map.addValueSource(id, function (indicator, level) {...}).
  var valueSources = {
    url: function (ind, lvl) {
      var u = ind.values.replace("{level}", encodeURIComponent(lvl)) + "&v=" + encodeURIComponent(version);
      return fetch(u, { headers: { Accept: "application/json" } }).then(function (r) {
        if (!r.ok) throw new Error("values: HTTP " + r.status);
        return r.json();
      });
    }
  };
  var valueCache = {};
  function loadValues(ind, lvl) {
    var key = ind.id + "|" + lvl;
    if (!valueCache[key]) {
      var src = valueSources[ind.source || "url"];
      valueCache[key] = src ? src(ind, lvl) : Promise.reject(new Error("no value source " + ind.source));
      valueCache[key].catch(function () { delete valueCache[key]; });
    }
    return valueCache[key];
  }
  window.Commonground = window.Commonground || {};
  window.Commonground.map = { addValueSource: function (id, fn) { valueSources[id] = fn; } };

  // ---- The map --------------------------------------------------------------------------

  function tiles(layer) {
    return [location.origin + "/tiles/" + layer + "/{z}/{x}/{y}.mvt?v=" + encodeURIComponent(version)];
  }

  var opts = {
    container: el,
    style: basemap || { version: 8, sources: {}, layers: [{ id: "background", type: "background", paint: { "background-color": "#f3f2f1" } }] },
    minZoom: 4.5,
    maxZoom: 16,
    maxBounds: [[limits[0], limits[1]], [limits[2], limits[3]]],
    dragRotate: false,
    pitchWithRotate: false,
    touchPitch: false,
    attributionControl: false,
    locale: { "Map.Title": "Map" }
  };
  var center = json("center", null), bbox = json("bbox", null);
  if (center) { opts.center = [center[0], center[1]]; opts.zoom = center[2]; }
  else if (bbox) { opts.bounds = [[bbox[0], bbox[1]], [bbox[2], bbox[3]]]; opts.fitBoundsOptions = { padding: 40, maxZoom: 13 }; }

  el.textContent = "";
  var map;
  try {
    map = new maplibregl.Map(opts);
  } catch (e) {
    var msg = document.createElement("p");
    msg.className = "map-fallback";
    msg.textContent = "The map could not start in this browser (it needs WebGL). The same figures are in the table below the map.";
    el.appendChild(msg);
    return;
  }
  map.touchZoomRotate.disableRotation();
  map.keyboard.disableRotation();
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
  map.addControl(new maplibregl.AttributionControl({
    compact: false,
    customAttribution: '<a href="/sources">Sources</a>: ONS, MHCLG. Contains OS data © Crown copyright and database right. OGL v3.0.'
  }), "bottom-right");
  window.Commonground.map.instance = map;

  function sourceOf(lvl) { return "areas-" + lvl; }
  var added = {};
  function ensureSource(lvl) {
    var L = byId(levels, lvl);
    if (added[lvl] || !L) return !!added[lvl];
    map.addSource(sourceOf(lvl), {
      type: "vector", tiles: tiles(lvl), minzoom: L.minzoom, maxzoom: 14, promoteId: "code",
      bounds: [Math.max(L.bounds[0], -180), Math.max(L.bounds[1], -85), Math.min(L.bounds[2], 180), Math.min(L.bounds[3], 85)]
    });
    added[lvl] = true;
    return true;
  }

  var layerIds = [];
  function addLayer(spec) { map.addLayer(spec); layerIds.push(spec.id); }
  function removeLayers() {
    layerIds.forEach(function (id) { if (map.getLayer(id)) map.removeLayer(id); });
    layerIds = [];
  }
  function isOn(name) { return ["case", ["boolean", ["feature-state", name], false]]; }

  // main: the chosen indicator at the chosen level; over: local
  // authorities when zoomed out (null when there is no such view).
  var main = { ind: null, values: null, classes: null, level: null };
  var over = { ind: null, values: null, classes: null };
  var hovered = null, selected = null;

  function zoomedOut() { return map.getZoom() < level().minzoom; }
  function shown() { return zoomedOut() && over.ind ? over : main; }

  // build (re)creates the layers for state.level and state.indicator.
  function build() {
    removeLayers();
    var L = level(), src = sourceOf(L.id), opacity = basemap ? 0.75 : 1;
    if (!ensureSource(L.id)) return;
    var hasLAD = ensureSource("lad"), ladBelow = hasLAD && L.id !== "lad" && L.minzoom > 0;
    addLayer({ id: "areas-fill", type: "fill", source: src, "source-layer": L.id, minzoom: L.minzoom,
      paint: { "fill-color": stateful("#ffffff"), "fill-opacity": opacity } });
    addLayer({ id: "areas-line", type: "line", source: src, "source-layer": L.id, minzoom: L.minzoom,
      paint: { "line-color": "rgba(11,12,12,0.35)", "line-width": ["interpolate", ["linear"], ["zoom"], 7, 0.3, 12, 0.7, 16, 1.2] } });
    if (ladBelow) {
      // Zoomed out, local authorities stand in: shaded by the overview
      // indicator if there is one, else only there to be hovered.
      addLayer({ id: "lad-fill", type: "fill", source: sourceOf("lad"), "source-layer": "lad", maxzoom: L.minzoom,
        paint: { "fill-color": stateful("#ffffff"), "fill-opacity": stateful(0.001) } });
    }
    if (hasLAD) {
      // A pale casing keeps the boundaries readable over the darkest fills.
      addLayer({ id: "lad-casing", type: "line", source: sourceOf("lad"), "source-layer": "lad",
        paint: { "line-color": "rgba(255,255,255,0.85)", "line-width": ["interpolate", ["linear"], ["zoom"], 5, 1.6, 10, 3.4, 14, 5] } });
      addLayer({ id: "lad-line", type: "line", source: sourceOf("lad"), "source-layer": "lad",
        paint: { "line-color": TEXT, "line-width": ["interpolate", ["linear"], ["zoom"], 5, 0.6, 10, 1.4, 14, 2.4] } });
    }
    addLayer({ id: "areas-hover", type: "line", source: src, "source-layer": L.id, minzoom: L.minzoom,
      paint: { "line-color": TEXT, "line-width": isOn("hover").concat([2.5, 0]) } });
    if (ladBelow) {
      addLayer({ id: "lad-hover", type: "line", source: sourceOf("lad"), "source-layer": "lad", maxzoom: L.minzoom,
        paint: { "line-color": TEXT, "line-width": isOn("hover").concat([3, 0]) } });
    }
    [[src, L.id], hasLAD && L.id !== "lad" ? [sourceOf("lad"), "lad"] : null].forEach(function (s) {
      if (!s) return;
      addLayer({ id: s[1] + "-selected-casing", type: "line", source: s[0], "source-layer": s[1],
        paint: { "line-color": TEXT, "line-width": isOn("selected").concat([6, 0]) } });
      addLayer({ id: s[1] + "-selected", type: "line", source: s[0], "source-layer": s[1],
        paint: { "line-color": "#ffdd00", "line-width": isOn("selected").concat([3, 0]) } });
    });
    if (state.area && state.areaLevel && ensureSource(state.areaLevel)) {
      var f = ["==", ["get", "code"], state.area];
      addLayer({ id: "area-outline-casing", type: "line", source: sourceOf(state.areaLevel), "source-layer": state.areaLevel, filter: f,
        paint: { "line-color": "#ffffff", "line-width": 6 } });
      addLayer({ id: "area-outline", type: "line", source: sourceOf(state.areaLevel), "source-layer": state.areaLevel, filter: f,
        paint: { "line-color": TEXT, "line-width": 3, "line-dasharray": [2, 1] } });
    }
    if (services.length) {
      if (!map.getSource("services")) {
        map.addSource("services", { type: "vector", tiles: tiles("services"), minzoom: servicesMinZoom, maxzoom: 14, promoteId: "code" });
      }
      var colour = ["match", ["get", "category"]];
      services.forEach(function (s) { colour.push(s.category, s.colour); });
      colour.push("#505a5f");
      addLayer({ id: "services", type: "circle", source: "services", "source-layer": "services", minzoom: servicesMinZoom,
        filter: ["in", ["get", "category"], ["literal", state.layers]],
        paint: { "circle-color": colour, "circle-radius": ["interpolate", ["linear"], ["zoom"], 10, 3.5, 14, 6.5],
          "circle-stroke-color": "#ffffff", "circle-stroke-width": 1.5 } });
    }
    hovered = null;
    selected = null;
    drawLayersOnTop();
    join();
  }

  // join fetches the values of the indicator (and of its overview) and
  // sets them as feature-state on the areas.
  var joinSeq = 0;
  function join() {
    var ind = indicator(), ov = overview(), L = level(), seq = ++joinSeq;
    [main, over].forEach(function (d) {
      if (d.values && d.level && map.getSource(sourceOf(d.level))) map.removeFeatureState({ source: sourceOf(d.level), sourceLayer: d.level });
      d.ind = d.values = d.classes = null;
    });
    selected = hovered = null;
    paint();
    if (!ind) { renderAll(); return; }
    setStatus("Loading the figures…");
    var jobs = [loadValues(ind, L.id), ov ? loadValues(ov, "lad") : Promise.resolve(null)];
    Promise.all(jobs).then(function (res) {
      if (seq !== joinSeq) return;
      set(main, ind, L.id, res[0]);
      if (ov && res[1]) set(over, ov, "lad", res[1]);
      paint();
      setStatus("");
      renderAll();
      restoreSelection();
    }).catch(function (e) {
      if (seq !== joinSeq) return;
      setStatus("The figures could not be loaded. Try again, or use the table below the map.");
      if (window.console) console.error(e);
    });
  }

  function set(d, ind, lvl, values) {
    var src = sourceOf(lvl);
    for (var code in values) map.setFeatureState({ source: src, sourceLayer: lvl, id: code }, { v: values[code] });
    d.ind = ind; d.level = lvl; d.values = values; d.classes = classify(ind, values);
  }

  function paint() {
    if (!map.getLayer("areas-fill")) return;
    map.setPaintProperty("areas-fill", "fill-color", main.ind ? fillExpression(main.classes) : stateful(indicator() ? NO_DATA : "#ffffff"));
    if (map.getLayer("lad-fill")) {
      map.setPaintProperty("lad-fill", "fill-color", over.ind ? fillExpression(over.classes) : stateful("#ffffff"));
      map.setPaintProperty("lad-fill", "fill-opacity", over.ind ? stateful(basemap ? 0.75 : 1) : ["case", ["boolean", ["feature-state", "hover"], false], 0.6, 0.001]);
    }
  }

  function setStatus(msg) { if (ui.status) { ui.status.textContent = msg; ui.status.hidden = !msg; } }

  // ---- Legend, description, links, URL ----------------------------------------------

  function h(tag, cls, text) { var n = document.createElement(tag); if (cls) n.className = cls; if (text != null) n.textContent = text; return n; }
  function capital(s) { return s ? s.charAt(0).toUpperCase() + s.slice(1) : s; }
  function plain(plural) { return plural.replace(/ \(.*\)$/, ""); }

  // The legend sits above the map: the classes as a horizontal scale (low
  // to high; for deciles 1, the most deprived, first), then a key to the
  // lines and dots. It follows the zoom: zoomed out, it is the overview's.
  var legendFor = null;
  function renderLegend() {
    if (!ui.legend) return;
    var d = shown(), ind = d.ind || indicator(), L = level(), out = d === over;
    legendFor = d;
    ui.legend.textContent = "";
    var box = h("div", "map-legend-main");
    box.appendChild(h("h2", "map-legend-title", ind ? ind.title : "Boundaries of " + L.plural));
    if (d.classes && d.classes.colours.length) {
      var cls = d.classes, scale = h("ul", "map-legend-scale" + (ind.kind === "decile" ? " map-legend-deciles" : ""));
      for (var i = 0; i < cls.colours.length; i++) {
        var li = h("li"), sw = h("span", "map-swatch");
        sw.style.backgroundColor = cls.colours[i];
        li.appendChild(sw);
        li.appendChild(h("span", "map-legend-label", cls.labels[i]));
        scale.appendChild(li);
      }
      var nd = h("li", "map-legend-nodata"), ndsw = h("span", "map-swatch");
      ndsw.style.backgroundColor = NO_DATA;
      nd.appendChild(ndsw);
      nd.appendChild(h("span", "map-legend-label", "No data"));
      scale.appendChild(nd);
      box.appendChild(scale);
      var note = ind.kind === "decile" ? "Decile 1 is the most deprived 10% of neighbourhoods in England, decile 10 the least deprived." :
        (cls.method === "jenks" ? "Natural breaks (Jenks) of the " : "Quantile classes of the ") + cls.n.toLocaleString("en-GB") + " " +
        (out ? "local authorities" : plain(L.plural)) + " with figures; darker is higher" +
        (ind.polarity === "higher is worse" ? " (worse)." : ind.polarity === "higher is better" ? " (better)." : ".");
      if (out) note = "Zoomed out, local authorities are shaded. Zoom in to see " + L.plural + ". " + note;
      box.appendChild(h("p", "map-legend-note", note));
    } else if (ind) {
      box.appendChild(h("p", "map-legend-note", "Loading the figures…"));
    }
    ui.legend.appendChild(box);
    var key = h("ul", "map-legend-key");
    function item(cls, text, colour) {
      var li = h("li"), mark = h("span", cls);
      if (colour) mark.style.backgroundColor = colour;
      li.appendChild(mark);
      li.appendChild(document.createTextNode(text));
      key.appendChild(li);
    }
    if (!out) item("map-line map-line-area", capital(plain(L.plural)));
    if (LAD && L.id !== "lad") item("map-line map-line-lad", "Local authorities");
    if (state.area) item("map-line map-line-highlight", attr("area-name") || state.area);
    state.layers.forEach(function (cat) { var s = service(cat); if (s) item("map-dot", s.label, s.colour); });
    ui.legend.appendChild(key);
  }

  function describe() {
    var ind = indicator(), ov = overview(), L = level(), parts = [];
    parts.push(ind ? ind.describe : "The map shows the boundaries of " + L.plural + ".");
    if (LAD && L.id !== "lad") parts.push("Local authority boundaries are drawn in black.");
    if (L.minzoom > 0) {
      parts.push(capital(L.plural) + " appear when you zoom in to a town or city (zoom " + L.minzoom + " or closer)" +
        (ov ? "; further out, local authorities are shaded by " + (ov.id === (indicator() || {}).id ? "the same figure." : ov.title + ".") : "."));
    }
    var shownSvc = state.layers.map(function (c) { var s = service(c); return s ? s.label : c; });
    if (shownSvc.length) parts.push("Also shown as dots: " + shownSvc.join(", ") + " (from zoom " + servicesMinZoom + ").");
    return parts.join(" ");
  }

  function renderAll() { renderLegend(); afterMove(); }

  // afterMove writes the view to the URL and updates what depends on it.
  function afterMove() {
    var L = level(), ind = indicator(), z = map.getZoom(), c = map.getCenter(), b = map.getBounds();
    var q = new URLSearchParams();
    q.set("level", state.level);
    q.set("indicator", state.indicator || "none");
    if (state.classes === "jenks") q.set("classes", "jenks");
    q.set("lat", c.lat.toFixed(5));
    q.set("lon", c.lng.toFixed(5));
    q.set("zoom", z.toFixed(2));
    if (state.layers.length) q.set("layers", state.layers.join(","));
    if (state.area) q.set("area", state.area);
    if (state.selected) q.set("selected", state.selected);
    history.replaceState(null, "", "/map?" + q.toString());
    if (shown() !== legendFor) renderLegend();
    if (ui.description) ui.description.textContent = describe();
    var tq = new URLSearchParams();
    tq.set("level", state.level);
    tq.set("indicator", state.indicator || "none");
    if (state.classes === "jenks") tq.set("classes", "jenks");
    tq.set("bbox", [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); }).join(","));
    tq.set("view", "table");
    if (ui.tableLink) ui.tableLink.href = "/map?" + tq.toString();
    var vq = "level=" + encodeURIComponent(state.level) + "&indicator=" + encodeURIComponent(state.indicator);
    if (ui.csvLink) { ui.csvLink.parentNode.hidden = !ind; ui.csvLink.href = "/api/map/values?" + vq + "&format=csv"; }
    if (ui.jsonLink) { ui.jsonLink.parentNode.hidden = !ind; ui.jsonLink.href = "/api/map/values?" + vq; }
    // Too far out for this level (or for services): say so, offer to zoom.
    if (ui.message) {
      var msg = "";
      if (z < L.minzoom) msg = over.ind ? "Showing local authorities. Zoom in to see " + L.plural + "." : "Zoom in to see " + L.plural + ".";
      else if (state.layers.length && z < servicesMinZoom) msg = "Zoom in further to see services.";
      ui.message.hidden = !msg;
      if (msg && ui.message.getAttribute("data-msg") !== msg) {
        ui.message.setAttribute("data-msg", msg);
        ui.message.textContent = "";
        ui.message.appendChild(h("span", null, msg + " "));
        var btn = h("button", "map-message-button", "Zoom in");
        btn.type = "button";
        btn.addEventListener("click", function () {
          map.easeTo({ zoom: map.getZoom() < level().minzoom ? level().minzoom + 0.5 : servicesMinZoom + 0.5 });
        });
        ui.message.appendChild(btn);
      }
    }
    map.getCanvas().setAttribute("aria-label", "Map of " + L.plural + (ind ? ", shaded by " + ind.title : "") +
      ". Arrow keys move the map, plus and minus zoom, Enter shows the area at the centre.");
  }

  // ---- Hover, click and keyboard selection ------------------------------------------

  var ORDER = { services: 0, "areas-fill": 1, "lad-fill": 2 };
  function featureAt(point) {
    var ids = Object.keys(ORDER).filter(function (id) { return map.getLayer(id); });
    if (!ids.length) return null;
    var fs = map.queryRenderedFeatures(point, { layers: ids });
    // Services are on top; then the level's areas; then local authorities.
    fs.sort(function (a, b) { return ORDER[a.layer.id] - ORDER[b.layer.id]; });
    return fs[0] || null;
  }

  function valueOf(f) {
    var d = f.layer.id === "lad-fill" ? over : main;
    return d.ind ? { ind: d.ind, text: fmt(d.values[f.properties.code], d.ind) } : null;
  }

  function describeFeature(f) {
    var p = f.properties || {};
    if (f.layer.id === "services") {
      var s = service(p.category);
      return { title: p.name || "Unnamed", detail: s ? s.label.replace(/s$/, "") : p.category };
    }
    var v = valueOf(f);
    var what = f.layer.id === "lad-fill" ? "Local authority" : level().name;
    return { title: p.name || p.code, detail: v ? v.ind.short + ": " + v.text : what };
  }

  function setHover(f) {
    var key = f && f.layer.id !== "services" ? { source: f.source, sourceLayer: f.sourceLayer, id: f.id } : null;
    if (hovered && (!key || hovered.id !== key.id || hovered.source !== key.source)) {
      map.setFeatureState(hovered, { hover: false });
      hovered = null;
    }
    if (key && !hovered) { map.setFeatureState(key, { hover: true }); hovered = key; }
  }

  map.on("mousemove", function (e) {
    if (draw.active) { setHover(null); if (ui.tooltip) ui.tooltip.hidden = true; return; }
    var f = featureAt(e.point);
    setHover(f);
    map.getCanvas().style.cursor = f ? "pointer" : "";
    if (!ui.tooltip) return;
    if (!f) { ui.tooltip.hidden = true; return; }
    var d = describeFeature(f);
    ui.tooltip.textContent = "";
    ui.tooltip.appendChild(h("strong", null, d.title));
    ui.tooltip.appendChild(h("span", null, d.detail));
    ui.tooltip.hidden = false;
    var x = e.point.x + 14, y = e.point.y + 14;
    if (x + ui.tooltip.offsetWidth > el.clientWidth - 8) x = e.point.x - ui.tooltip.offsetWidth - 14;
    if (y + ui.tooltip.offsetHeight > el.clientHeight - 8) y = e.point.y - ui.tooltip.offsetHeight - 14;
    ui.tooltip.style.left = x + "px";
    ui.tooltip.style.top = y + "px";
  });
  map.getCanvas().addEventListener("mouseleave", function () { setHover(null); if (ui.tooltip) ui.tooltip.hidden = true; });

  function select(f) {
    if (selected) { map.setFeatureState(selected, { selected: false }); selected = null; }
    state.selected = "";
    if (ui.selection) ui.selection.hidden = true;
    if (f && f.layer.id !== "services") {
      selected = { source: f.source, sourceLayer: f.sourceLayer, id: f.properties.code };
      map.setFeatureState(selected, { selected: true });
      state.selected = f.properties.code;
    }
    if (f) showSelection(f);
    afterMove();
  }

  function showSelection(f) {
    if (!ui.selection) return;
    var p = f.properties || {}, isLAD = f.layer.id === "lad-fill";
    ui.selection.textContent = "";
    ui.selection.appendChild(h("h2", "map-selection-title", p.name || p.code));
    if (f.layer.id === "services") {
      var s = service(p.category);
      ui.selection.appendChild(h("p", "map-selection-meta", s ? s.label.replace(/s$/, "") : p.category));
    } else {
      var meta = h("p", "map-selection-meta", (isLAD ? "Local authority" : level().name) + " · ");
      meta.appendChild(h("code", null, p.code));
      ui.selection.appendChild(meta);
      var v = valueOf(f);
      if (v) {
        var vp = h("p", "map-selection-value", v.ind.short + ": ");
        vp.appendChild(h("strong", null, v.text));
        ui.selection.appendChild(vp);
      }
      var link = h("a", "map-selection-link", "View the area profile");
      link.href = "/areas/" + encodeURIComponent(p.code);
      var lp = h("p");
      lp.appendChild(link);
      ui.selection.appendChild(lp);
      if (isLAD) {
        var zoom = h("button", "map-selection-action", "Zoom in to its " + plain(level().plural));
        zoom.type = "button";
        zoom.addEventListener("click", function () {
          var b = bboxOf(f.geometry);
          var cam = b && map.cameraForBounds(b, { padding: 24 });
          if (cam) { cam.zoom = Math.max(cam.zoom, level().minzoom + 0.2); map.easeTo(cam); }
          map.getCanvas().focus();
        });
        ui.selection.appendChild(h("p")).appendChild(zoom);
      }
    }
    var close = h("button", "map-selection-close", "Close");
    close.type = "button";
    close.addEventListener("click", function () { select(null); map.getCanvas().focus(); });
    ui.selection.appendChild(close);
    ui.selection.hidden = false;
  }

  function bboxOf(g) {
    if (!g) return null;
    var w = 180, s = 90, e = -180, n = -90;
    (function walk(c) {
      if (typeof c[0] === "number") { w = Math.min(w, c[0]); e = Math.max(e, c[0]); s = Math.min(s, c[1]); n = Math.max(n, c[1]); return; }
      c.forEach(walk);
    })(g.coordinates);
    return w <= e ? [[w, s], [e, n]] : null;
  }

  // A selection from the URL: find the feature once its tiles are in.
  function restoreSelection() {
    if (!state.selected || selected) return;
    var tries = [["areas-fill", state.level], ["lad-fill", "lad"]];
    for (var i = 0; i < tries.length; i++) {
      var lid = tries[i][0], lvl = tries[i][1];
      if (!map.getLayer(lid) || !map.getSource(sourceOf(lvl))) continue;
      var fs = map.querySourceFeatures(sourceOf(lvl), { sourceLayer: lvl, filter: ["==", ["get", "code"], state.selected] });
      if (fs.length) {
        var f = fs[0];
        f.layer = { id: lid };
        selected = { source: sourceOf(lvl), sourceLayer: lvl, id: state.selected };
        map.setFeatureState(selected, { selected: true });
        showSelection(f);
        return;
      }
    }
  }

  map.on("click", function (e) { if (!draw.active) select(featureAt(e.point)); });

  // Keyboard: MapLibre pans with the arrow keys and zooms with + and -;
  // Enter selects what is under the centre (marked by a crosshair while
  // the map has focus), Escape clears the selection.
  map.getCanvas().addEventListener("keydown", function (e) {
    if (draw.active) return; // the draw tool has its own keys
    if (e.key === "Enter") {
      select(featureAt(map.project(map.getCenter())));
      e.preventDefault();
    } else if (e.key === "Escape" && state.selected) {
      select(null);
    }
  });

  map.on("movestart", function () { if (ui.tooltip) ui.tooltip.hidden = true; });
  map.on("moveend", function () { afterMove(); restoreSelection(); });
  map.on("idle", function () { restoreSelection(); el.setAttribute("data-ready", "true"); });
  map.on("error", function (e) { if (window.console && e && e.error) console.error(e.error.message || e.error); });

  // ---- The form ---------------------------------------------------------------------------

  function fillIndicators() {
    if (!ui.indicatorSelect) return;
    var L = level();
    ui.indicatorSelect.textContent = "";
    var groups = {}, q = ui.filter ? ui.filter.value.trim().toLowerCase() : "", shownN = 0, total = 0;
    L.indicators.forEach(function (id) {
      var ind = byId(indicators, id);
      if (!ind) return;
      total++;
      // The filter matches every word in the title or group; the chosen
      // figure always stays, so the select never loses its value.
      var text = (ind.title + " " + (ind.group || "")).toLowerCase();
      var match = !q || q.split(/\s+/).every(function (w) { return text.indexOf(w) >= 0; });
      if (!match && ind.id !== state.indicator) return;
      if (match) shownN++;
      var g = groups[ind.group || "Other"];
      if (!g) { g = groups[ind.group || "Other"] = h("optgroup"); g.label = ind.group || "Other"; ui.indicatorSelect.appendChild(g); }
      var o = h("option", null, ind.title);
      o.value = ind.id;
      g.appendChild(o);
    });
    if (ui.filterCount) ui.filterCount.textContent = q ? shownN + " of " + total + " figures match" : "";
    var none = h("option", null, "Nothing (boundaries only)");
    none.value = "none";
    ui.indicatorSelect.appendChild(none);
    if (!state.indicator || L.indicators.indexOf(state.indicator) < 0) state.indicator = L.indicators[0] || "";
    ui.indicatorSelect.value = state.indicator || "none";
  }

  if (ui.form) {
    ui.form.classList.add("map-form-live");
    ui.form.addEventListener("submit", function (e) { e.preventDefault(); });
    if (ui.levelSelect) ui.levelSelect.addEventListener("change", function () {
      state.level = ui.levelSelect.value;
      state.selected = "";
      if (ui.selection) ui.selection.hidden = true;
      fillIndicators();
      build();
    });
    if (ui.filterBox && ui.filter) {
      ui.filterBox.hidden = false;
      ui.filter.addEventListener("input", fillIndicators);
    }
    if (ui.classesSelect) ui.classesSelect.addEventListener("change", function () {
      state.classes = ui.classesSelect.value === "jenks" ? "jenks" : "quantile";
      [main, over].forEach(function (d) { if (d.ind && d.values) d.classes = classify(d.ind, d.values); });
      paint();
      renderAll();
    });
    if (ui.indicatorSelect) ui.indicatorSelect.addEventListener("change", function () {
      state.indicator = ui.indicatorSelect.value === "none" ? "" : ui.indicatorSelect.value;
      state.selected = "";
      if (ui.selection) ui.selection.hidden = true;
      join();
    });
    var boxes = ui.form.querySelectorAll("input[name=layers]");
    Array.prototype.forEach.call(boxes, function (box) {
      box.addEventListener("change", function () {
        state.layers = Array.prototype.filter.call(boxes, function (b) { return b.checked; }).map(function (b) { return b.value; });
        if (map.getLayer("services")) map.setFilter("services", ["in", ["get", "category"], ["literal", state.layers]]);
        renderAll();
      });
    });
  }

  // ---- Draw your own area ------------------------------------------------------------

  // Click to add corners, double-click or Enter to finish, Backspace or the
  // Undo button to remove the last corner, Esc to cancel. With a keyboard,
  // Space adds a corner at the crosshair (the map's centre). The finished
  // polygon is posted, with a name, to POST /areas (the same handler as the
  // upload form, same origin), which redirects to the new area's profile.
  var draw = {
    active: false, points: [], cursor: null,
    box: document.getElementById("map-draw"),
    start: document.getElementById("map-draw-start"),
    panel: document.getElementById("map-draw-panel"),
    status: document.getElementById("map-draw-status"),
    finish: document.getElementById("map-draw-finish"),
    undo: document.getElementById("map-draw-undo"),
    cancel: document.getElementById("map-draw-cancel"),
    form: document.getElementById("map-draw-form"),
    title: document.getElementById("map-draw-form-title"),
    name: document.getElementById("map-draw-name"),
    geojson: document.getElementById("map-draw-geojson"),
    again: document.getElementById("map-draw-again")
  };
  var DRAW_LAYERS = ["draw-fill", "draw-line-casing", "draw-line", "draw-points"];

  function drawData() {
    var pts = draw.points.slice(), feats = [];
    if (draw.active && draw.cursor) pts.push(draw.cursor);
    if (pts.length >= 3) feats.push({ type: "Feature", properties: {}, geometry: { type: "Polygon", coordinates: [pts.concat([pts[0]])] } });
    if (pts.length >= 2) feats.push({ type: "Feature", properties: {}, geometry: { type: "LineString", coordinates: draw.active ? pts : pts.concat([pts[0]]) } });
    draw.points.forEach(function (p, i) { feats.push({ type: "Feature", properties: { first: i === 0 }, geometry: { type: "Point", coordinates: p } }); });
    return { type: "FeatureCollection", features: feats };
  }

  function drawLayersOnTop() {
    if (!map.getSource("draw")) return;
    DRAW_LAYERS.forEach(function (id) { if (map.getLayer(id)) map.moveLayer(id); });
  }

  function ensureDrawLayers() {
    if (map.getSource("draw")) return;
    map.addSource("draw", { type: "geojson", data: drawData() });
    map.addLayer({ id: "draw-fill", type: "fill", source: "draw", filter: ["==", ["geometry-type"], "Polygon"],
      paint: { "fill-color": "#ffdd00", "fill-opacity": 0.25 } });
    map.addLayer({ id: "draw-line-casing", type: "line", source: "draw", filter: ["==", ["geometry-type"], "LineString"],
      paint: { "line-color": "#ffffff", "line-width": 5 } });
    map.addLayer({ id: "draw-line", type: "line", source: "draw", filter: ["==", ["geometry-type"], "LineString"],
      paint: { "line-color": TEXT, "line-width": 2.5, "line-dasharray": [2, 1] } });
    map.addLayer({ id: "draw-points", type: "circle", source: "draw", filter: ["==", ["geometry-type"], "Point"],
      paint: { "circle-radius": ["case", ["get", "first"], 7, 5], "circle-color": ["case", ["get", "first"], "#ffdd00", "#ffffff"],
        "circle-stroke-color": TEXT, "circle-stroke-width": 2 } });
  }

  function redraw() {
    var src = map.getSource("draw");
    if (src) src.setData(drawData());
    if (draw.status) {
      var n = draw.points.length;
      draw.status.textContent = !draw.active ? "" : n === 0 ? "No corners yet." :
        n + (n === 1 ? " corner" : " corners") + (n < 3 ? ": add at least " + (3 - n) + " more." : ". Finish when the shape is complete.");
    }
    if (draw.finish) draw.finish.disabled = draw.points.length < 3;
    if (draw.undo) draw.undo.disabled = draw.points.length === 0;
  }

  function startDrawing() {
    ensureDrawLayers();
    select(null);
    draw.active = true;
    draw.points = [];
    draw.cursor = null;
    map.doubleClickZoom.disable();
    map.getCanvas().style.cursor = "crosshair";
    if (draw.form) draw.form.hidden = true;
    if (draw.start) draw.start.parentNode.hidden = true;
    if (draw.panel) draw.panel.hidden = false;
    el.setAttribute("data-drawing", "true");
    redraw();
    map.getCanvas().focus();
  }

  function stopDrawing() {
    draw.active = false;
    draw.cursor = null;
    map.getCanvas().style.cursor = "";
    el.removeAttribute("data-drawing");
    // Re-enable after this event: a double-click that finished drawing
    // must not also zoom.
    setTimeout(function () { map.doubleClickZoom.enable(); }, 0);
    if (draw.panel) draw.panel.hidden = true;
  }

  function cancelDrawing() {
    stopDrawing();
    draw.points = [];
    redraw();
    if (draw.form) draw.form.hidden = true;
    if (draw.start) { draw.start.parentNode.hidden = false; draw.start.focus(); }
  }

  function addPoint(lngLat) {
    var p = [Math.round(lngLat.lng * 1e6) / 1e6, Math.round(lngLat.lat * 1e6) / 1e6];
    var last = draw.points[draw.points.length - 1];
    if (last) {
      // Two clicks on the same spot (as in a double-click) add one corner.
      var a = map.project(last), b = map.project(p);
      if (Math.abs(a.x - b.x) < 4 && Math.abs(a.y - b.y) < 4) return;
    }
    draw.points.push(p);
    redraw();
  }

  function undoPoint() {
    draw.points.pop();
    redraw();
  }

  // crosses reports whether segments p1-p2 and p3-p4 properly intersect.
  function crosses(p1, p2, p3, p4) {
    function o(a, b, c) { var v = (b[1] - a[1]) * (c[0] - b[0]) - (b[0] - a[0]) * (c[1] - b[1]); return v > 0 ? 1 : v < 0 ? -1 : 0; }
    return o(p1, p2, p3) !== o(p1, p2, p4) && o(p3, p4, p1) !== o(p3, p4, p2) && o(p1, p2, p3) !== 0 && o(p3, p4, p1) !== 0;
  }
  function selfCrossing(pts) {
    var n = pts.length;
    for (var i = 0; i < n; i++) {
      for (var j = i + 1; j < n; j++) {
        if (j === i + 1 || (i === 0 && j === n - 1)) continue; // neighbours share a corner
        if (crosses(pts[i], pts[(i + 1) % n], pts[j], pts[(j + 1) % n])) return true;
      }
    }
    return false;
  }

  function finishDrawing() {
    if (draw.points.length < 3) {
      if (draw.status) draw.status.textContent = "Add at least 3 corners before finishing.";
      return;
    }
    if (selfCrossing(draw.points)) {
      if (draw.status) draw.status.textContent = "The edges cross each other. Undo the last corners and go round the area in one direction.";
      return;
    }
    stopDrawing();
    redraw();
    var ring = draw.points.concat([draw.points[0]]);
    if (draw.geojson) draw.geojson.value = JSON.stringify({ type: "FeatureCollection",
      features: [{ type: "Feature", properties: {}, geometry: { type: "Polygon", coordinates: [ring] } }] });
    if (draw.form) {
      draw.form.hidden = false;
      if (draw.name) draw.name.focus();
    }
  }

  if (draw.box && attr("draw") === "true" && draw.start) {
    draw.box.hidden = false;
    draw.start.addEventListener("click", startDrawing);
    if (draw.finish) draw.finish.addEventListener("click", finishDrawing);
    if (draw.undo) draw.undo.addEventListener("click", function () { undoPoint(); map.getCanvas().focus(); });
    if (draw.cancel) draw.cancel.addEventListener("click", cancelDrawing);
    if (draw.again) draw.again.addEventListener("click", startDrawing);
    if (draw.form) draw.form.addEventListener("submit", function (e) {
      if (!draw.geojson || !draw.geojson.value) { e.preventDefault(); startDrawing(); }
    });
    map.on("click", function (e) { if (draw.active) addPoint(e.lngLat); });
    map.on("dblclick", function (e) { if (draw.active) { e.preventDefault(); finishDrawing(); } });
    map.on("mousemove", function (e) {
      if (!draw.active) return;
      draw.cursor = [e.lngLat.lng, e.lngLat.lat];
      var src = map.getSource("draw");
      if (src) src.setData(drawData());
    });
    map.getCanvas().addEventListener("keydown", function (e) {
      if (!draw.active) return;
      if (e.key === " " || e.key === "Spacebar") { draw.cursor = null; addPoint(map.getCenter()); e.preventDefault(); }
      else if (e.key === "Enter") { finishDrawing(); e.preventDefault(); }
      else if (e.key === "Backspace" || ((e.ctrlKey || e.metaKey) && e.key === "z")) { undoPoint(); e.preventDefault(); }
    });
    document.addEventListener("keydown", function (e) {
      if (draw.active && e.key === "Escape") { cancelDrawing(); e.preventDefault(); }
    });
  }

  map.on("load", build);
})();
