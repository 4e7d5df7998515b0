/* Planning page: propose a base (click, draw or upload), show the analysis on the map and
 * beside it, suggest candidate sites, and keep proposals. Text from the server is shown with
 * textContent only. Labels come from the page (#planning-words), already translated. */
(function () {
  "use strict";
  var W = JSON.parse(document.getElementById("planning-words").textContent);
  var pane = document.getElementById("planning");
  var loggedIn = pane.dataset.loggedIn === "yes";
  var maxBytes = Number(pane.dataset.maxBytes);
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var map = geoapp.map;
  var el = geoapp.el;
  var industry = document.getElementById("industry");
  var out = document.getElementById("analysis");
  var statusBox = document.getElementById("planning-status");
  var siteLayer = L.featureGroup().addTo(map);
  var linkLayer = L.featureGroup().addTo(map);
  var candidateLayer = L.featureGroup().addTo(map);
  var site = null;        // the proposed site, a GeoJSON geometry
  var pointMode = false;
  geoapp.planning = {analysis: null};  // the last analysis, for people and tests to read

  function say(text, isError) {
    statusBox.textContent = text;
    statusBox.className = isError ? "error" : "notice";
    statusBox.hidden = !text;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key] === undefined ? "" : values[key]; });
  }

  function number(value) {
    return Number(value).toLocaleString(W.lang === "en" ? "en-GB" : "zh-CN");
  }

  function nameOf(thing) { return thing ? (W.lang === "en" ? thing.name_en : thing.name_zh) : ""; }

  function request(method, url, body) {
    var options = {method: method, headers: {"Accept": "application/json"}, credentials: "same-origin"};
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    if (method !== "GET") options.headers["X-CSRFToken"] = csrf;
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return {message: response.statusText}; }).then(function (data) {
        if (!response.ok) throw new Error(data.message || response.statusText);
        return data;
      });
    });
  }

  // Proposing a site -------------------------------------------------------------------------
  map.addControl(new L.Control.Draw({
    position: "topleft",
    draw: {polyline: false, rectangle: false, circle: false, circlemarker: false, marker: false,
           polygon: {allowIntersection: false, showArea: true}},
    edit: false
  }));
  map.on(L.Draw.Event.CREATED, function (event) { setSite(event.layer.toGeoJSON().geometry, false); });

  // While a tool is in use (pick a point, draw), every click goes to it: no feature popups.
  geoapp.enableIdentify(map, geoapp.words);
  var pointButton = document.getElementById("mode-point");
  function setPointMode(on) {
    pointMode = on;
    geoapp.identifyOff = on;
    map.getContainer().classList.toggle("picking", on);
    pointButton.setAttribute("aria-pressed", on ? "true" : "false");
    say(on ? W.click_map : "");
    if (on) map.closePopup();
  }
  pointButton.addEventListener("click", function () { setPointMode(!pointMode); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && pointMode) setPointMode(false);
  });
  map.on(L.Draw.Event.DRAWSTART, function () { geoapp.identifyOff = true; map.closePopup(); });
  map.on(L.Draw.Event.DRAWSTOP, function () { setTimeout(function () { geoapp.identifyOff = pointMode; }, 0); });
  map.on("click", function (event) {  // also clicks on a zone, a base or a branch dot: they bubble here
    if (!pointMode) return;
    setPointMode(false);
    setSite({type: "Point", coordinates: [event.latlng.lng, event.latlng.lat]}, false);
  });

  document.getElementById("upload").addEventListener("change", function (event) {
    var file = event.target.files[0];
    if (!file) return;
    if (file.size > maxBytes) { say(W.too_big, true); return; }
    file.text().then(function (text) {
      var payload;
      try { payload = JSON.parse(text); } catch (err) { say(W.not_json + ": " + err.message, true); return; }
      var feature = payload.type === "FeatureCollection" && payload.features && payload.features.length === 1
        ? payload.features[0] : payload;
      var geometry = feature.type === "Feature" ? feature.geometry : feature;
      if (feature.properties && feature.properties.industry && W.industries[feature.properties.industry]) {
        industry.value = feature.properties.industry;
      }
      setSite(geometry, true);
    });
  });

  function setSite(geometry, zoom) {
    site = geometry;
    siteLayer.clearLayers();
    var drawn = L.geoJSON(geometry, {
      style: {color: "#000", weight: 3, dashArray: "4 4", fillOpacity: 0.15},
      pointToLayer: function (_, latlng) { return L.circleMarker(latlng, {radius: 9, color: "#000", weight: 3}); }
    }).addTo(siteLayer);
    if (zoom && drawn.getBounds().isValid()) map.fitBounds(drawn.getBounds(), {maxZoom: 14});
    analyse();
  }

  industry.addEventListener("change", function () { if (site) analyse(); });

  // The analysis -----------------------------------------------------------------------------
  function analyse() {
    // kept for this tab, so logging in to save the site does not lose the drawing
    sessionStorage.setItem("geoapp.site", JSON.stringify({geometry: site, industry: industry.value}));
    say(W.analysing);
    request("POST", "/api/plan/analyse", {type: "Feature", properties: {industry: industry.value}, geometry: site})
      .then(function (result) { say(""); render(result); })
      .catch(function (err) { out.replaceChildren(); linkLayer.clearLayers(); say(W.failed + ": " + err.message, true); });
  }

  function section(title, items) {
    var box = el("div");
    box.appendChild(el("h3", null, title));
    var list = el("ul");
    (items.length ? items : [W.none]).forEach(function (text) { list.appendChild(el("li", null, text)); });
    box.appendChild(list);
    return box;
  }

  function centreOf(layer) {
    return layer.getBounds ? layer.getBounds().getCenter() : layer.getLatLng();
  }

  function linkTo(layerKey, id, colour) {
    var target = (geoapp.layers[layerKey] || {})[id];
    var from = siteLayer.getBounds().getCenter();
    if (!target) return;
    L.polyline([from, centreOf(target)], {color: colour, weight: 2, dashArray: "6 6"}).addTo(linkLayer);
  }

  function render(r) {
    geoapp.planning.analysis = r;
    out.replaceChildren();
    linkLayer.clearLayers();
    var place = r.townships.map(function (t) {
      return nameOf(t) + (r.area_mu ? " (" + Math.round(t.share * 100) + "%)" : "");
    });
    if (r.zones.length) {
      r.zones.forEach(function (z) {
        place.push(W.zone + ": " + nameOf(z) + (r.area_mu ? " (" + Math.round(z.share * 100) + "%)" : ""));
      });
    } else {
      place.push(fill(W.outside, {zone: nameOf(r.nearest_zone), distance: number(r.nearest_zone.distance_m)}));
    }
    out.appendChild(section(W.place, place));
    out.appendChild(section(W.area, [r.area_mu === null ? W.point :
      number(r.area_mu) + " " + W.mu + " · " + number(r.area_ha) + " " + W.ha]));
    out.appendChild(section(W.overlaps, r.overlaps.map(function (o) {
      return nameOf(o) + ": " + number(o.overlap_mu) + " " + W.mu;
    })));
    out.appendChild(section(W.same_industry, r.nearest_same_industry.map(function (b) {
      linkTo("industry_bases", b.id, "#4d9221");
      return nameOf(b) + " · " + number(b.distance_m) + " " + W.m;
    })));
    linkTo("party_organisations", r.nearest_branch.id, "#b2182b");
    out.appendChild(section(W.branch, [nameOf(r.nearest_branch) + " · " + number(r.nearest_branch.distance_m) + " " + W.m]));
    if (r.nearest_training_base) linkTo("services", r.nearest_training_base.id, "#762a83");
    out.appendChild(section(W.training, r.nearest_training_base ?
      [nameOf(r.nearest_training_base) + " · " + number(r.nearest_training_base.distance_m) + " " + W.m] : []));
    var s = r.service_area;
    var service = [number(s.households_benefiting) + " " + W.households, number(s.population) + " " + W.population,
                   number(s.villages) + " " + W.villages];
    if (s.townships_without_population_or_villages.length) {
      var townNames = {};
      s.townships.forEach(function (t) { townNames[t.code] = nameOf(t); });
      service.push(fill(W.missing, {townships: s.townships_without_population_or_villages.map(function (code) {
        return townNames[code] || code;
      }).join(W.lang === "en" ? ", " : "、")}));
    }
    out.appendChild(section(fill(W.service, {radius: number(s.radius_m)}), service));
    out.appendChild(el("h3", null, W.coverage));
    var names = {};
    r.zones.concat(r.nearest_zone ? [r.nearest_zone] : []).concat(r.townships, r.overlaps).forEach(function (p) {
      names[p.id || p.code] = nameOf(p);
    });
    r.coverage.statements.forEach(function (st) {
      var text = fill(W.statements[st.code], {
        zone: names[st.zone], township: names[st.township], area: number(st.area_mu || 0),
        distance: number(st.distance_m || 0),
        bases: (st.bases || []).map(function (id) { return names[id] || id; }).join(W.lang === "en" ? ", " : "、")
      });
      if ((st.code === "adds_to_zone" || st.code === "in_zone") && st.lead_industry) {
        text += " " + W.statements.lead_industry;
      }
      out.appendChild(el("p", "statement", text));
    });
    r.overlaps.forEach(function (o) {
      var layer = (geoapp.layers.industry_bases || {})[o.id] || (geoapp.layers.services || {})[o.id];
      if (layer && layer.setStyle) layer.setStyle({color: "#e31a1c", weight: 3});
    });
  }

  // Candidate sites --------------------------------------------------------------------------
  document.getElementById("suggest").addEventListener("click", function () {
    var list = document.getElementById("candidates");
    say(W.analysing);
    request("GET", "/api/plan/candidates?n=10&industry=" + encodeURIComponent(industry.value)).then(function (result) {
      say("");
      list.replaceChildren();
      candidateLayer.clearLayers();
      result.notes.forEach(function (note) {
        if (note.code === "elevation") {
          list.appendChild(el("li", "meta", fill(W.elevation, {low: note.band_m[0], high: note.band_m[1],
                                                               reservoir: note.reservoir_below_m})));
        }
      });
      result.candidates.forEach(function (c) {
        var item = el("li");
        item.dataset.rank = c.rank;
        item.appendChild(el("strong", null, W.score + " " + c.score.toFixed(2)));
        var table = el("table", "factor-table");
        var head = el("tr");
        ["", W.weight, W.value, W.score].forEach(function (h) { head.appendChild(el("th", null, h)); });
        table.appendChild(head);
        Object.keys(c.factors).forEach(function (key) {
          var f = c.factors[key];
          var row = el("tr");
          row.appendChild(el("td", null, W.factors[key]));
          row.appendChild(el("td", null, f.weight.toFixed(2)));
          row.appendChild(el("td", null, f.value === null ? "—" : number(f.value) + (key === "elevation_fit" ? " m" : " " + W.m)));
          row.appendChild(el("td", null, f.score.toFixed(2)));
          table.appendChild(row);
        });
        item.appendChild(table);
        var use = el("button", null, W.use);
        use.type = "button";
        use.addEventListener("click", function () {
          map.setView([c.lat, c.lon], Math.max(map.getZoom(), 13));
          setSite({type: "Point", coordinates: [c.lon, c.lat]}, false);
        });
        item.appendChild(use);
        list.appendChild(item);
        var icon = L.divIcon({className: "", html: '<div class="candidate-rank">' + Number(c.rank) + "</div>",
                              iconSize: [26, 26]});
        L.marker([c.lat, c.lon], {icon: icon, title: W.score + " " + c.score.toFixed(2)})
          .on("click", function () { use.click(); }).addTo(candidateLayer);
      });
    }).catch(function (err) { say(W.failed + ": " + err.message, true); });
  });

  // Proposals --------------------------------------------------------------------------------
  function loadProposals() {
    var list = document.getElementById("proposals");
    request("GET", "/api/proposals").then(function (collection) {
      list.replaceChildren();
      if (!collection.features.length) list.appendChild(el("li", "none", W.no_proposals));
      collection.features.forEach(function (f) {
        var p = f.properties;
        var item = el("li");
        item.dataset.id = f.id;
        var name = el("a", "stay-name", p.name);
        name.href = "#";
        name.addEventListener("click", function (event) {
          event.preventDefault();
          if (W.industries[p.industry]) industry.value = p.industry;
          setSite(f.geometry, true);
        });
        item.appendChild(name);
        item.appendChild(el("span", "meta", W.industries[p.industry] + " · " + W.by + " " + p.owner));
        var status = el("select");
        Object.keys(W.statuses).forEach(function (key) {
          var option = el("option", null, W.statuses[key]);
          option.value = key;
          option.selected = key === p.status;
          status.appendChild(option);
        });
        status.addEventListener("change", function () {
          request("PATCH", "/api/proposals/" + f.id, {properties: {status: status.value}})
            .then(function () { say(W.saved); }).catch(function (err) { say(err.message, true); loadProposals(); });
        });
        item.appendChild(status);
        var remove = el("button", null, W.delete);
        remove.type = "button";
        remove.addEventListener("click", function () {
          if (!window.confirm(W.confirm_delete)) return;
          request("DELETE", "/api/proposals/" + f.id).then(function () { say(W.deleted); loadProposals(); })
            .catch(function (err) { say(err.message, true); });
        });
        item.appendChild(remove);
        list.appendChild(item);
      });
    }).catch(function (err) { say(err.message, true); });
  }

  var form = document.getElementById("save-form");
  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!site) { say(W.no_site, true); return; }
      request("POST", "/api/proposals", {type: "Feature", geometry: site, properties: {
        industry: industry.value, name: form.elements.name.value, notes: form.elements.notes.value,
        status: form.elements.status.value}})
        .then(function () { say(W.saved); form.reset(); loadProposals(); })
        .catch(function (err) { say(err.message, true); });
    });
  }
  if (loggedIn) loadProposals();
  var kept = sessionStorage.getItem("geoapp.site");
  if (kept) {
    try {
      kept = JSON.parse(kept);
      if (W.industries[kept.industry]) industry.value = kept.industry;
      setSite(kept.geometry, true);
    } catch (err) { sessionStorage.removeItem("geoapp.site"); }
  }
})();
