/* Planning page: propose a base (pick a point anywhere, draw, or upload a file), show the
 * analysis on the map and beside it (its conclusion first), suggest candidate sites with their
 * reasons in words, and work on proposals: edit (site corners too), move through the review,
 * see each one's history, compare two, print the sheet. Text from the server is shown with
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
  var fromCandidate = null;  // the suggested site it came from
  var editing = null;     // the proposal being edited (its feature), or null for a new one
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

  function metres(value) {
    return value >= 1000 ? number(Math.round(value / 100) / 10) + " " + W.km : number(value) + " " + W.m;
  }

  function nameOf(thing) { return thing ? (W.lang === "en" ? thing.name_en : thing.name_zh) : ""; }

  function request(method, url, body) {
    var options = {method: method, headers: {"Accept": "application/json"}, credentials: "same-origin"};
    if (body instanceof FormData) {
      options.body = body;
    } else if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    if (method !== "GET") options.headers["X-CSRFToken"] = csrf;
    var sep = url.indexOf("?") < 0 ? "?" : "&";
    return fetch(url + sep + "lang=" + W.lang, options).then(function (response) {
      return response.json().catch(function () { return {message: response.statusText}; }).then(function (data) {
        if (!response.ok) {
          var err = new Error(data.message || response.statusText);
          err.problems = data.problems;
          throw err;
        }
        return data;
      });
    });
  }

  // Proposing a site -------------------------------------------------------------------------
  // The drawing tools speak the page's language, and a site's area is in mu and hectares.
  (function translateDrawing(words) {
    function merge(into, from) {
      Object.keys(from).forEach(function (key) {
        if (from[key] && typeof from[key] === "object") merge(into[key] = into[key] || {}, from[key]);
        else into[key] = from[key];
      });
    }
    merge(L.drawLocal, {draw: words.draw, edit: words.edit});
    L.GeometryUtil.readableArea = function (area) {   // m² -> "12.3 mu (0.82 ha)"
      var mu = area / 666.6667;
      if (area < 667) return Math.round(area) + " " + words.area_units.m2;
      return (mu < 100 ? mu.toFixed(1) : Math.round(mu)) + " " + words.area_units.mu + " (" + (area / 10000).toFixed(2) +
        " " + words.area_units.ha + ")";
    };
  })(W.draw);
  var drawControl = new L.Control.Draw({
    position: "topleft",
    draw: {polyline: false, rectangle: false, circle: false, circlemarker: false, marker: false,
           polygon: {allowIntersection: false, showArea: true}},
    edit: {featureGroup: siteLayer, remove: false}
  });
  map.addControl(drawControl);
  geoapp.planning.drawControl = drawControl;  // (the tests wait on its drawing's state)
  map.on(L.Draw.Event.CREATED, function (event) { setSite(event.layer.toGeoJSON().geometry, false); });
  map.on(L.Draw.Event.EDITED, function () {  // the site's corners were dragged
    var layers = siteLayer.getLayers();
    if (layers.length) setSite(layers[0].toGeoJSON().geometry, false, true);
  });

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
  map.on(L.Draw.Event.DRAWSTART + " " + L.Draw.Event.EDITSTART, function () { geoapp.identifyOff = true; map.closePopup(); });
  map.on(L.Draw.Event.DRAWSTOP + " " + L.Draw.Event.EDITSTOP, function () {
    setTimeout(function () { geoapp.identifyOff = pointMode; }, 0);
  });
  // Keyboard users: Enter on the focused map in point mode places the point at the map's centre.
  map.getContainer().addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !pointMode || event.target !== map.getContainer()) return;
    event.preventDefault();
    var centre = map.getCenter();
    setPointMode(false);
    fromCandidate = null;
    setSite({type: "Point", coordinates: [centre.lng, centre.lat]}, false);
  });

  // A point typed or pasted (a GPS reading, Amap's "复制坐标"): the server tells longitude from
  // latitude and converts the datum; when the order cannot be told, the person chooses.
  var coords = document.getElementById("coords");
  var coordChoices = document.getElementById("coords-choices");
  function usePoint(reading) {
    coordChoices.hidden = true;
    fromCandidate = null;
    setSite({type: "Point", coordinates: reading.display}, true);
  }
  function typedPoint() {
    if (!coords.value.trim()) { coords.focus(); return; }
    var query = new URLSearchParams({text: coords.value, datum: document.getElementById("coords-datum").value});
    request("GET", "/api/plan/point?" + query.toString()).then(function (found) {
      if (found.readings.length === 1) { say(""); usePoint(found.readings[0]); return; }
      coordChoices.replaceChildren(el("p", null, W.which_reading));
      found.readings.forEach(function (reading) {
        var button = el("button", null, reading.words);
        button.type = "button";
        button.addEventListener("click", function () { usePoint(reading); });
        coordChoices.appendChild(button);
      });
      coordChoices.hidden = false;
      coordChoices.querySelector("button").focus();
    }).catch(function (err) { say(err.message, true); });
  }
  document.getElementById("coords-go").addEventListener("click", typedPoint);
  coords.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); typedPoint(); }
  });

  map.on("click", function (event) {  // also clicks on a zone, a base or a branch dot: they bubble here
    if (!pointMode) return;
    setPointMode(false);
    fromCandidate = null;
    setSite({type: "Point", coordinates: [event.latlng.lng, event.latlng.lat]}, false);
  });

  // A site from a file, through the importer (any format and coordinate system it reads)
  var choices = document.getElementById("upload-choices");
  document.getElementById("upload").addEventListener("change", function (event) {
    var file = event.target.files[0];
    if (!file) return;
    if (file.size > maxBytes) { say(W.too_big, true); return; }
    var form = new FormData();
    form.append("file", file);
    form.append("crs", document.getElementById("upload-crs").value);
    say(W.uploading);
    choices.hidden = true;
    request("POST", "/api/plan/upload", form).then(function (found) {
      say(found.notes.join(" "));
      fromCandidate = null;
      if (found.features.length === 1) { setSite(found.features[0].geometry, true); return; }
      choices.replaceChildren(el("p", null, fill(W.features_found, {count: found.features.length})));
      found.features.forEach(function (feature) {
        var button = el("button", null, feature.properties.label);
        button.type = "button";
        button.addEventListener("click", function () { setSite(feature.geometry, true); });
        choices.appendChild(button);
      });
      var together = el("button", "primary", W.all_together);
      together.type = "button";
      together.addEventListener("click", function () { setSite(found.union, true); });
      choices.appendChild(together);
      choices.hidden = false;
    }).catch(function (err) {
      say(err.message + (err.problems && err.problems.length > 1 ? " · " + err.problems.slice(1, 4).join(" · ") : ""), true);
    });
  });

  function drawSite(geometry, zoom) {
    siteLayer.clearLayers();
    var drawn = L.geoJSON(geometry, {
      style: {color: "#000", weight: 3, dashArray: "4 4", fillOpacity: 0.15},
      pointToLayer: function (_, latlng) { return L.circleMarker(latlng, {radius: 9, color: "#000", weight: 3}); }
    });
    drawn.getLayers().forEach(function (layer) { siteLayer.addLayer(layer); });  // editable by Leaflet.draw
    if (zoom && siteLayer.getBounds().isValid()) map.fitBounds(siteLayer.getBounds(), {maxZoom: 14});
  }

  function setSite(geometry, zoom, keepDrawing) {
    site = geometry;
    if (!keepDrawing) drawSite(geometry, zoom);
    analyse();
  }

  industry.addEventListener("change", function () { if (site) analyse(); });

  // The analysis -----------------------------------------------------------------------------
  function analyse() {
    // kept for this tab, so logging in to save the site does not lose the drawing
    sessionStorage.setItem("geoapp.site", JSON.stringify({geometry: site, industry: industry.value}));
    if (!industry.value) {  // never a guess: the analysis depends on the industry
      out.replaceChildren();
      linkLayer.clearLayers();
      say(W.choose_industry, true);
      industry.focus();
      return;
    }
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
    if (!target || !siteLayer.getLayers().length) return;
    L.polyline([siteLayer.getBounds().getCenter(), centreOf(target)], {color: colour, weight: 2, dashArray: "6 6"})
      .addTo(linkLayer);
  }

  function statements(r) {  // the conclusion: what the base would change
    var names = {};
    r.zones.concat(r.nearest_zone ? [r.nearest_zone] : []).concat(r.townships, r.overlaps).forEach(function (p) {
      names[p.id || p.code] = nameOf(p);
    });
    return r.coverage.statements.map(function (st) {
      var text = fill(W.statements[st.code], {
        zone: names[st.zone], township: names[st.township], area: number(st.area_mu || 0),
        distance: number(st.distance_m || 0),
        bases: (st.bases || []).map(function (id) { return names[id] || id; }).join(W.lang === "en" ? ", " : "、")
      });
      if ((st.code === "adds_to_zone" || st.code === "in_zone") && st.lead_industry) text += " " + W.statements.lead_industry;
      else if ((st.code === "adds_to_zone" || st.code === "in_zone") && st.zone_industry) {   // another industry's zone
        text += " " + fill(W.statements.other_industry, {zone_industry: W.industries[st.zone_industry] || st.zone_industry,
                                                         industry: W.industries[industry.value] || industry.value});
      }
      return text;
    });
  }

  function render(r) {
    geoapp.planning.analysis = r;
    out.replaceChildren();
    linkLayer.clearLayers();
    out.appendChild(el("h2", null, W.coverage));  // the conclusion first, visible without scrolling
    statements(r).forEach(function (text) { out.appendChild(el("p", "statement", text)); });
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
    out.appendChild(section(W.overlaps, r.overlaps.map(function (o) { return nameOf(o) + ": " + number(o.overlap_mu) + " " + W.mu; })));
    out.appendChild(section(W.same_industry, r.nearest_same_industry.map(function (b) {
      linkTo("industry_bases", b.id, "#4d9221");
      return nameOf(b) + " · " + metres(b.distance_m);
    })));
    linkTo("party_organisations", r.nearest_branch.id, "#b2182b");
    out.appendChild(section(W.branch, [nameOf(r.nearest_branch) + " · " + metres(r.nearest_branch.distance_m)]));
    if (r.nearest_training_base) linkTo("services", r.nearest_training_base.id, "#762a83");
    out.appendChild(section(W.training, r.nearest_training_base ?
      [nameOf(r.nearest_training_base) + " · " + metres(r.nearest_training_base.distance_m)] : []));
    var s = r.service_area;
    var service = [number(s.households_benefiting) + " " + W.households, number(s.population) + " " + W.population,
                   (s.villages_about ? W.about + " " : "") + number(s.villages) + " " + W.villages];
    if (s.townships_without_population_or_villages.length) {
      var townNames = {};
      s.townships.forEach(function (t) { townNames[t.code] = nameOf(t); });
      service.push(fill(W.missing, {townships: s.townships_without_population_or_villages.map(function (code) {
        return townNames[code] || code;
      }).join(W.lang === "en" ? ", " : "、")}));
    }
    out.appendChild(section(fill(W.service, {radius: number(s.radius_m)}), service));
    r.overlaps.forEach(function (o) {
      var layer = (geoapp.layers.industry_bases || {})[o.id] || (geoapp.layers.services || {})[o.id];
      if (layer && layer.setStyle) layer.setStyle({color: "#e31a1c", weight: 3});
    });
  }

  // Candidate sites --------------------------------------------------------------------------
  function reasonText(reason) {
    var template = W.reasons[reason.code] || "";
    return W.factors[reason.factor] + ": " + fill(template, {
      zone: nameOf(reason.zone), target: nameOf(reason.target), distance: reason.distance_m === undefined ? "" : metres(reason.distance_m)
    });
  }

  document.getElementById("suggest").addEventListener("click", function () {
    var list = document.getElementById("candidates");
    if (!industry.value) { say(W.choose_industry, true); industry.focus(); return; }
    say(W.analysing);
    var query = "?n=10&industry=" + encodeURIComponent(industry.value);
    request("GET", "/api/plan/candidates" + query).then(function (result) {
      say("");
      list.replaceChildren();
      candidateLayer.clearLayers();
      document.getElementById("export-csv").href = "/api/plan/candidates.csv" + query + "&lang=" + W.lang;
      document.getElementById("export-geojson").href = "/api/plan/candidates.geojson" + query + "&lang=" + W.lang;
      document.getElementById("candidate-exports").hidden = false;
      result.notes.forEach(function (note) {
        if (note.code === "elevation") {
          list.appendChild(el("li", "meta", fill(W.elevation, {low: note.band_m[0], high: note.band_m[1],
                                                               reservoir: note.reservoir_below_m})));
        }
      });
      result.candidates.forEach(function (c) {
        var item = el("li", "candidate");
        item.dataset.rank = c.rank;
        item.appendChild(el("strong", null, W.score + " " + c.score.toFixed(2)));
        item.appendChild(el("span", "meta place", fill(W.where, {
          township: c.township_name[W.lang], zone: nameOf(c.zone), lat: c.lat.toFixed(4), lon: c.lon.toFixed(4)})));
        var reasons = el("ul", "reasons");
        c.reasons.forEach(function (reason) {
          var factor = c.factors[reason.factor];
          var li = el("li", null, reasonText(reason));
          if (factor) li.appendChild(el("span", "meta", W.score + " " + factor.score.toFixed(2) + " × " + W.weight + " " + factor.weight.toFixed(2)));
          reasons.appendChild(li);
        });
        item.appendChild(reasons);
        var use = el("button", null, W.use);
        use.type = "button";
        use.addEventListener("click", function () {
          map.setView([c.lat, c.lon], Math.max(map.getZoom(), 13));
          fromCandidate = {rank: c.rank, score: c.score, factors: c.factors, reasons: c.reasons};
          setSite({type: "Point", coordinates: [c.lon, c.lat]}, false);
        });
        item.appendChild(use);
        list.appendChild(item);
        var icon = L.divIcon({className: "", html: '<div class="candidate-rank">' + Number(c.rank) + "</div>",
                              iconSize: [26, 26]});
        L.marker([c.lat, c.lon], {icon: icon, title: W.score + " " + c.score.toFixed(2)})
          .on("click", function () { use.click(); }).addTo(candidateLayer);
      });
      if (candidateLayer.getLayers().length) map.fitBounds(candidateLayer.getBounds(), {padding: [30, 30], maxZoom: 12});
    }).catch(function (err) { say(W.failed + ": " + err.message, true); });
  });

  // Proposals --------------------------------------------------------------------------------
  var form = document.getElementById("save-form");
  var saveTitle = document.getElementById("save-title");
  var newButton = document.getElementById("new-proposal");

  function startEditing(feature) {
    editing = feature;
    var p = feature.properties;
    form.elements.name.value = p.name;
    form.elements.notes.value = p.notes;
    if (W.industries[p.industry]) industry.value = p.industry;
    fromCandidate = null;
    saveTitle.textContent = fill(W.editing, {id: feature.id});
    newButton.hidden = false;
    var fields = [form.elements.name, form.elements.notes, document.getElementById("save-button")];
    fields.forEach(function (field) { field.disabled = !p.editable; });
    if (!p.editable) say(W.locked);
    setSite(feature.geometry, true);
    if (p.editable) say(W.edit_site);
  }

  function stopEditing() {
    editing = null;
    form.reset();
    saveTitle.textContent = W.new_proposal;
    newButton.hidden = true;
    [form.elements.name, form.elements.notes, document.getElementById("save-button")].forEach(function (f) { f.disabled = false; });
  }

  function historyOf(feature, box) {
    request("GET", "/api/proposals/" + feature.id).then(function (full) {
      var list = el("ol", "history");
      full.revisions.forEach(function (v) {
        var changed = Object.keys(v.changes).filter(function (k) { return v.action !== "created" || k === "status"; })
          .map(function (k) {
            var change = v.changes[k];
            return (W.fields[k] || k) + (k === "status" ? ": " + (W.statuses[change[0]] || "—") + " → " + W.statuses[change[1]]
              : k === "name" ? ": " + (change[0] || "") + " → " + change[1] : "");
          });
        list.appendChild(el("li", null, v.at.replace("T", " ").slice(0, 16) + " · " + v.who + " · " +
          (W.actions[v.action] || v.action) + (changed.length ? " · " + changed.join("; ") : "") + (v.comment ? " · “" + v.comment + "”" : "")));
      });
      box.replaceChildren(list);
    }).catch(function (err) { say(err.message, true); });
  }

  // Every proposal on the map, coloured by where it stands in the review (the list says the same
  // with a swatch); the two compared drawn together, each in its own colour and named.
  var STATUS_COLOURS = {draft: "#7f7f7f", submitted: "#1f78b4", approved: "#1b9e77", rejected: "#d95f02",
                        withdrawn: "#b8b8b8"};
  var proposalLayer = L.featureGroup().addTo(map);
  var comparedLayer = L.featureGroup().addTo(map);
  geoapp.planning.proposalLayer = proposalLayer;
  geoapp.planning.comparedLayer = comparedLayer;
  function outline(feature, colour, options) {
    return L.geoJSON(feature, {
      interactive: false,
      style: Object.assign({color: colour, weight: 2, dashArray: "6 4", fillOpacity: 0.08}, options || {}),
      pointToLayer: function (_, latlng) {
        return L.circleMarker(latlng, Object.assign({radius: 7, color: colour, weight: 2, fillOpacity: 0.3}, options || {}));
      }
    });
  }

  function loadProposals() {
    var list = document.getElementById("proposals");
    request("GET", "/api/proposals").then(function (collection) {
      list.replaceChildren();
      proposalLayer.clearLayers();
      collection.features.forEach(function (f) {
        var drawn = outline(f, STATUS_COLOURS[f.properties.status] || "#555");
        drawn.eachLayer(function (layer) {
          layer.bindTooltip(f.properties.name + " · " + W.statuses[f.properties.status], {sticky: true});
          layer.feature = f;
          proposalLayer.addLayer(layer);
        });
      });
      if (!collection.features.length) list.appendChild(el("li", "none", W.no_proposals));
      collection.features.forEach(function (f) {
        var p = f.properties;
        var item = el("li", "proposal status-" + p.status);
        item.dataset.id = f.id;
        var tick = el("input");
        tick.type = "checkbox";
        tick.className = "compare-tick";
        tick.value = f.id;
        tick.setAttribute("aria-label", W.compare + ": " + p.name);
        item.appendChild(tick);
        var name = el("a", "stay-name", p.name);
        name.href = "#";
        name.addEventListener("click", function (event) { event.preventDefault(); startEditing(f); });
        item.appendChild(name);
        var badge = el("span", "badge status", W.statuses[p.status]);
        badge.style.borderLeft = "10px solid " + (STATUS_COLOURS[p.status] || "#555");   // as on the map
        item.appendChild(badge);
        item.appendChild(el("span", "meta", W.industries[p.industry] + " · " + W.by + " " + p.owner +
          (p.candidate ? " · " + fill(W.from_candidate, {rank: p.candidate.rank, score: p.candidate.score.toFixed(2)}) : "")));
        var actions = el("div", "row actions");
        if (p.moves.length) {  // only the moves this person may make, in workflow order
          var move = el("select", "move");
          move.setAttribute("aria-label", W.move_to);
          var first = el("option", null, W.move_to + "…");
          first.value = "";
          move.appendChild(first);
          p.moves.forEach(function (to) {
            var option = el("option", null, W.statuses[to]);
            option.value = to;
            move.appendChild(option);
          });
          var comment = el("input", "comment");
          comment.placeholder = W.comment;
          comment.hidden = pane.dataset.role !== "admin";
          // a move is said back and confirmed before it happens: one stray choice never approves
          var confirmBox = el("div", "confirm-move");
          confirmBox.setAttribute("role", "group");
          confirmBox.hidden = true;
          move.addEventListener("change", function () {
            if (!move.value) { confirmBox.hidden = true; return; }
            var to = move.value;
            var yes = el("button", "button", W.confirm_yes);
            var no = el("button", null, W.confirm_no);
            yes.type = no.type = "button";
            confirmBox.replaceChildren(el("span", null, fill(W.confirm_move, {name: p.name, status: W.statuses[to]})), yes, no);
            confirmBox.hidden = false;
            yes.focus();
            no.addEventListener("click", function () { move.value = ""; confirmBox.hidden = true; move.focus(); });
            yes.addEventListener("click", function () {
              yes.disabled = true;
              request("PATCH", "/api/proposals/" + f.id, {properties: {status: to, comment: comment.value}})
                .then(function () { say(fill(W.moved_to, {name: p.name, status: W.statuses[to]})); loadProposals(); })
                .catch(function (err) { say(err.message, true); loadProposals(); });
            });
          });
          actions.appendChild(move);
          actions.appendChild(comment);
          actions.appendChild(confirmBox);
        }
        if (p.editable) {
          var edit = el("button", null, W.edit);
          edit.type = "button";
          edit.addEventListener("click", function () { startEditing(f); });
          actions.appendChild(edit);
        }
        var history = el("button", null, W.history);
        history.type = "button";
        var historyBox = el("div", "history-box");
        history.addEventListener("click", function () { historyOf(f, historyBox); });
        actions.appendChild(history);
        var sheet = el("a", null, W.sheet);
        sheet.href = "/api/proposals/" + f.id + ".pdf?lang=" + W.lang;
        actions.appendChild(sheet);
        if (p.deletable) {
          var remove = el("button", null, W.delete);
          remove.type = "button";
          remove.addEventListener("click", function () {
            if (!window.confirm(W.confirm_delete)) return;
            request("DELETE", "/api/proposals/" + f.id).then(function () {
              say(W.deleted);
              if (editing && editing.id === f.id) stopEditing();
              loadProposals();
            }).catch(function (err) { say(err.message, true); });
          });
          actions.appendChild(remove);
        }
        item.appendChild(actions);
        item.appendChild(historyBox);
        list.appendChild(item);
      });
    }).catch(function (err) { say(err.message, true); });
  }

  function compare() {
    var ticked = Array.prototype.map.call(document.querySelectorAll(".compare-tick:checked"), function (t) { return t.value; });
    var box = document.getElementById("comparison");
    if (ticked.length !== 2) { say(W.tick_two, true); return; }
    request("GET", "/api/proposals/compare?ids=" + ticked.join(",")).then(function (result) {
      var table = el("table", "data compare");
      var head = el("tr");
      head.appendChild(el("th"));
      result.proposals.forEach(function (c) { head.appendChild(el("th", null, c.proposal.properties.name)); });
      table.appendChild(head);
      function row(label, values) {
        var tr = el("tr");
        tr.appendChild(el("th", null, label));
        values.forEach(function (v) { tr.appendChild(el("td", null, v)); });
        table.appendChild(tr);
      }
      var a = result.proposals.map(function (c) { return c.analysis; });
      row(W.statuses.draft ? W.fields.status : "", result.proposals.map(function (c) { return W.statuses[c.proposal.properties.status]; }));
      row(W.place, a.map(function (r) { return r.townships.map(nameOf).join(W.lang === "en" ? ", " : "、"); }));
      row(W.zone, a.map(function (r) { return r.zones.length ? r.zones.map(nameOf).join(", ") :
        fill(W.outside, {zone: nameOf(r.nearest_zone), distance: number(r.nearest_zone.distance_m)}); }));
      row(W.area, a.map(function (r) { return r.area_mu === null ? W.point : number(r.area_mu) + " " + W.mu; }));
      row(W.overlaps, a.map(function (r) { return r.overlaps.map(nameOf).join(", ") || W.none; }));
      row(W.same_industry, a.map(function (r) { return r.nearest_same_industry.length ? nameOf(r.nearest_same_industry[0]) + " · " + metres(r.nearest_same_industry[0].distance_m) : W.none; }));
      row(W.branch, a.map(function (r) { return nameOf(r.nearest_branch) + " · " + metres(r.nearest_branch.distance_m); }));
      row(fill(W.service, {radius: number(a[0].service_area.radius_m)}), a.map(function (r) {
        return number(r.service_area.households_benefiting) + " " + W.households; }));
      row(W.coverage, a.map(function (r) { return statements(r).join(" "); }));
      box.replaceChildren(table);
      box.hidden = false;
      comparedLayer.clearLayers();
      result.proposals.forEach(function (c, i) {
        var colour = ["#e41a1c", "#6a3d9a"][i];
        outline(c.proposal, colour, {weight: 4, dashArray: null, fillOpacity: 0.15}).eachLayer(function (layer) {
          layer.bindTooltip(c.proposal.properties.name, {permanent: true, direction: "top", className: "compare-label"});
          comparedLayer.addLayer(layer);
        });
      });
      if (comparedLayer.getBounds().isValid()) map.fitBounds(comparedLayer.getBounds(), {maxZoom: 14, padding: [30, 30]});
    }).catch(function (err) { say(err.message, true); });
  }

  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!site) { say(W.no_site, true); return; }
      if (!industry.value) { say(W.choose_industry, true); return; }
      var properties = {industry: industry.value, name: form.elements.name.value, notes: form.elements.notes.value};
      var saving = editing  // an edit updates the proposal; it never makes a second one
        ? request("PATCH", "/api/proposals/" + editing.id, {geometry: site, properties: properties})
        : request("POST", "/api/proposals", {type: "Feature", geometry: site,
            properties: Object.assign(properties, fromCandidate ? {candidate: fromCandidate} : {})});
      var done = document.getElementById("save-done");
      done.hidden = true;
      saving.then(function (saved) {
        say(W.saved);
        done.textContent = fill(W.saved_at, {time: new Date().toLocaleTimeString(W.lang === "en" ? "en-GB" : "zh-CN",
                                                                              {hour: "2-digit", minute: "2-digit"})});
        done.hidden = false;   // beside the button pressed, where the planner is looking
        startEditing(saved);
        loadProposals();
      }).catch(function (err) { say(err.message, true); });
    });
    newButton.addEventListener("click", function () { stopEditing(); siteLayer.clearLayers(); site = null; out.replaceChildren(); });
    document.getElementById("compare").addEventListener("click", compare);
  }
  if (loggedIn) loadProposals();
  var kept = sessionStorage.getItem("geoapp.site");
  if (kept) {
    try {
      kept = JSON.parse(kept);
      if (W.industries[kept.industry]) industry.value = kept.industry;
      if (kept.geometry) setSite(kept.geometry, true);
    } catch (err) { sessionStorage.removeItem("geoapp.site"); }
  }
})();
