/* Farm-stay search for tourists (phones first): filter chips that apply at once (the address
 * keeps the whole search), price labels on the map that split on tap, the list and the map in
 * step, "search this area" after panning, "near me", and a list/map toggle on phones. Data
 * comes from /api/farmstays as JSON; everything from data is shown with textContent. */
(function () {
  "use strict";
  var W = JSON.parse(document.getElementById("farmstay-words").textContent);
  var map = geoapp.map;
  var el = geoapp.el;
  var form = document.getElementById("search");
  var list = document.getElementById("results");
  var title = document.getElementById("results-title");
  var areaButton = document.getElementById("search-area");
  var statusBox = document.getElementById("search-status");
  var retry = null;   // what the Retry button does again
  var markers = {};   // stay id -> marker
  var cards = {};     // stay id -> card
  var cluster = L.markerClusterGroup({showCoverageOnHover: false, maxClusterRadius: 40, spiderfyOnMaxZoom: true,
                                      zoomToBoundsOnClick: true});
  map.addLayer(cluster);
  geoapp.farmstays = {cards: cards, markers: markers, loaded: 0, mapLoads: 0};

  // The view on phones: the list first, the map a tap away -----------------------------------
  var ourMove = false;
  var hiddenFit = null;   // the results' bounds, fitted once the map is shown (a hidden map has no size)
  var toggles = document.querySelectorAll(".view-toggle [data-view]");
  var currentView = new URLSearchParams(window.location.search).get("view") === "map" ? "map" : "list";
  // The address keeps the search and the view (list or map), so Back returns to both.
  function address(params) {
    var kept = new URLSearchParams(params);
    kept.delete("view");
    if (currentView === "map") kept.set("view", "map");
    var query = kept.toString();
    return window.location.pathname + (query ? "?" + query : "");
  }
  function setView(view) {
    currentView = view;
    history.replaceState(history.state, "", address(new URLSearchParams(window.location.search)));
    document.body.classList.toggle("view-map", view === "map");
    document.body.classList.toggle("view-list", view === "list");
    toggles.forEach(function (b) { b.setAttribute("aria-selected", b.dataset.view === view ? "true" : "false"); });
    if (view === "map") setTimeout(function () {
      ourMove = true;
      map.invalidateSize();
      if (hiddenFit) map.fitBounds(hiddenFit, {maxZoom: 13, animate: false});
      ourMove = false;
      hiddenFit = null;
      loadMap();  // the view now has its real size: load what is in it
    }, 0);
  }
  toggles.forEach(function (button) { button.addEventListener("click", function () { setView(button.dataset.view); }); });
  var phone = window.matchMedia("(max-width: 760px)");

  // One stay, as a list item and as a popup ---------------------------------------------------
  function photo(card) {
    if (card.photos.length) {
      var img = el("img", "stay-photo");
      img.src = card.photos[0].small;
      img.alt = card.photos[0].caption || card.name;
      img.loading = "lazy";
      img.width = 96;
      img.height = 72;
      return img;
    }
    return miniMap(card.where);
  }

  // A stay without a photo: where it is in the county, the nearest festival ringed (the page
  // holds the county's outline once, #county-outline).
  var SVG = "http://www.w3.org/2000/svg";
  function miniMap(where) {
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", "stay-photo mini-map");
    svg.setAttribute("viewBox", "-4 -4 108 " + (where.height + 8));
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var county = document.createElementNS(SVG, "use");
    county.setAttribute("href", "#county-outline");
    svg.appendChild(county);
    function dot(cls, x, y, r) {
      var c = document.createElementNS(SVG, "circle");
      c.setAttribute("class", cls);
      c.setAttribute("cx", x);
      c.setAttribute("cy", y);
      c.setAttribute("r", r);
      svg.appendChild(c);
    }
    if (where.festival) dot("festival", where.festival.x, where.festival.y, 6);
    dot("stay", where.x, where.y, 4.5);
    return svg;
  }

  function flags(card, box) {
    if (card.festivals_on.length) {
      box.appendChild(el("span", "flag festival", W.festival_on.replace("{f}", card.festivals_on.join(W.lang === "en" ? ", " : "、"))));
    }
    if (card.open_status === "closed") box.appendChild(el("span", "flag closed", W.closed));
    if (card.open_status === "partly") box.appendChild(el("span", "flag partly", W.partly));
  }

  function listItem(card) {
    var item = el("li", "stay-card");
    item.dataset.id = card.id;
    item.tabIndex = 0;
    item.appendChild(photo(card));
    var body = el("div", "stay-body");
    var name = el("a", "stay-name", card.name);
    name.href = card.url;
    body.appendChild(name);
    var stars = el("span", "stars", card.stars_text);
    stars.setAttribute("role", "img");
    stars.setAttribute("aria-label", card.stars_label);
    body.appendChild(stars);
    body.appendChild(el("span", "price", card.price_text));
    var facts = card.township + (card.distance_km !== null ? " · " + card.distance_km + " " + W.km : "");
    if (card.photo_count) facts += " · " + (card.photo_count === 1 ? W.photo_one : W.photos).replace("{n}", card.photo_count);
    body.appendChild(el("span", "meta", facts));
    if (!card.photos.length && card.where_text) body.appendChild(el("span", "meta where", card.where_text));
    flags(card, body);
    item.appendChild(body);
    return item;
  }

  function directionsMenu(card) {
    var menu = el("details", "directions");
    menu.appendChild(el("summary", "button", W.directions));
    var apps = el("ul");
    ["amap", "baidu", "tencent", "apple"].forEach(function (app) {
      var li = el("li");
      var a = el("a", app, W.apps[app]);
      a.href = card.directions[app];  // built by the server from the stored point, in each app's datum
      a.rel = "noopener";
      a.target = "_blank";
      li.appendChild(a);
      apps.appendChild(li);
    });
    menu.appendChild(apps);
    return menu;
  }

  function popupContent(card) {
    var box = el("div", "stay-popup");
    box.appendChild(photo(card));
    box.appendChild(el("strong", "geoapp-popup-title", card.name));
    var stars = el("div", "stars", card.stars_text + "  " + card.price_text);
    stars.setAttribute("aria-label", card.stars_label);
    box.appendChild(stars);
    box.appendChild(el("div", "meta", card.address || card.township));
    flags(card, box);
    var actions = el("div", "popup-actions");
    var call = el("a", "button call", W.call);
    call.href = card.tel;
    actions.appendChild(call);
    actions.appendChild(directionsMenu(card));
    var details = el("a", "button", W.details);
    details.href = card.url;
    actions.appendChild(details);
    box.appendChild(actions);
    if (card.phone_note) box.appendChild(el("div", "meta phone-note", card.phone_note));
    box.appendChild(el("div", "meta illustrative", W.illustrative));
    return box;
  }

  // Price labels on the map: a 44 px tap target, split apart on tap when they overlap ----------
  function popupFor(id) {
    var box = el("div", "stay-popup", W.loading);
    if (cards[id]) return popupContent(cards[id]);
    var params = searchParams();
    var query = new URLSearchParams({lang: W.lang});
    ["from", "to", "radius_km"].forEach(function (name) { if (params.get(name)) query.set(name, params.get(name)); });
    fetch("/api/farmstays/" + encodeURIComponent(id) + "?" + query.toString(), {headers: {"Accept": "application/json"}})
      .then(function (r) { if (!r.ok) throw new Error(r.statusText); return r.json(); })
      .then(function (card) { cards[id] = card; box.replaceChildren(popupContent(card)); })
      .catch(function () { box.textContent = W.failed; });
    return box;
  }

  function marker(id, lat, lon, stars, priceText, name) {
    var label = el("span", "price-pin stars-" + stars, priceText + " ★" + stars);
    var icon = L.divIcon({className: "price-icon", html: label, iconSize: null, iconAnchor: [30, 22]});
    var m = L.marker([lat, lon], {icon: icon, title: name, riseOnHover: true, keyboard: true});
    m.bindPopup(function () { return popupFor(id); }, {maxWidth: 300, minWidth: 220});
    m.on("click", function () { select(id, true); });
    return m;
  }

  // Many stays in view: the server groups them on a screen grid; a tap on a group zooms into it.
  function groupMarker(feature) {
    var p = feature.properties;
    var c = feature.geometry.coordinates;
    var size = p.count < 100 ? 40 : p.count < 10000 ? 48 : 56;
    var label = el("span", "stay-group", String(p.count));
    label.appendChild(el("small", null, p.price_text + "+"));
    var icon = L.divIcon({className: "stay-group-icon", html: label, iconSize: [size, size]});
    var m = L.marker([c[1], c[0]], {icon: icon, keyboard: true,
                                    title: (p.count === 1 ? W.found_one : W.found).replace("{n}", p.count)});
    m.on("click", function () {
      var b = p.bounds;
      ourMove = false;
      map.fitBounds([[b[1], b[0]], [b[3], b[2]]], {padding: [30, 30], maxZoom: Math.max(map.getZoom() + 2, 15)});
    });
    return m;
  }

  var groups = L.layerGroup().addTo(map);
  var mapRequest = 0;
  var pendingOpen = null;   // a listed stay to open once the map around it has loaded

  function loadMap() {
    var params = searchParams();
    params.delete("bbox");
    var b = hiddenFit || map.getBounds();
    params.set("bbox", [Math.max(b.getWest(), -180), Math.max(b.getSouth(), -90), Math.min(b.getEast(), 180),
                        Math.min(b.getNorth(), 90)].map(function (v) { return v.toFixed(5); }).join(","));
    params.set("zoom", String(Math.round(map.getZoom())));
    var mine = ++mapRequest;
    return fetch("/api/farmstays/map?" + params.toString(), {headers: {"Accept": "application/json"}})
      .then(answered)
      .then(function (body) {
        if (mine !== mapRequest) return;  // the visitor moved on; a newer answer is coming
        // Pins already on the map stay (an open popup stays open); the others come and go.
        groups.clearLayers();
        var kept = {};
        var added = [];
        body.features.forEach(function (f) {
          if (f.properties.count) { groups.addLayer(groupMarker(f)); return; }
          kept[f.id] = true;
          if (markers[f.id]) return;
          var c = f.geometry.coordinates;
          markers[f.id] = marker(f.id, c[1], c[0], f.properties.stars, f.properties.price_text, f.properties.name);
          added.push(markers[f.id]);
        });
        var gone = Object.keys(markers).filter(function (id) { return !kept[id]; });
        cluster.removeLayers(gone.map(function (id) { return markers[id]; }));
        gone.forEach(function (id) { delete markers[id]; });
        cluster.addLayers(added);
        geoapp.farmstays.mapLoads += 1;
        if (pendingOpen && markers[pendingOpen]) {
          var m = markers[pendingOpen];
          pendingOpen = null;
          cluster.zoomToShowLayer(m, function () { m.openPopup(); });
        }
      })
      .catch(function (err) { failed(err, loadMap); });
  }

  // An answer that failed: said in the page's language, the list marked out of date, Retry offered.
  function answered(r) {
    return r.json().catch(function () { throw new Error(""); }).then(function (body) {
      if (!r.ok) {
        var err = new Error(body.message || "");
        err.fromServer = Boolean(body.message);
        throw err;
      }
      return body;
    });
  }
  function failed(err, again) {
    var text = err && err.fromServer ? err.message : (navigator.onLine === false ? W.offline : W.failed);
    var end = W.lang === "en" ? ". " : "。";
    statusBox.querySelector("span").textContent = text.replace(/[。.!！]?\s*$/, end) + W.stale;
    statusBox.hidden = false;
    list.classList.add("stale");
    list.removeAttribute("aria-busy");
    retry = again;
  }
  function recovered() {
    statusBox.hidden = true;
    list.classList.remove("stale");
    list.removeAttribute("aria-busy");
  }
  statusBox.querySelector(".retry").addEventListener("click", function () { if (retry) retry(); });

  function select(id, scroll) {
    list.querySelectorAll("li.selected").forEach(function (li) { li.classList.remove("selected"); });
    var item = list.querySelector('li[data-id="' + CSS.escape(id) + '"]');
    if (!item) return;
    item.classList.add("selected");
    if (scroll && !phone.matches) item.scrollIntoView({block: "nearest", behavior: "smooth"});
  }

  // The list: a page at a time ------------------------------------------------------------------
  var more = el("button", "button more", W.more);
  more.type = "button";
  more.hidden = true;
  list.after(more);
  var listed = 0;

  function showList(features, numberMatched, append) {
    if (!append) {
      list.replaceChildren();
      Object.keys(cards).forEach(function (id) { delete cards[id]; });
      listed = 0;
      if (!features.length) list.appendChild(el("li", "none", W.none));
    }
    features.forEach(function (f) {
      cards[f.properties.id] = f.properties;
      list.appendChild(listItem(f.properties));
    });
    listed += features.length;
    list.start = 1;
    title.textContent = (numberMatched === 1 ? W.found_one : W.found).replace("{n}", numberMatched);
    more.hidden = listed >= numberMatched;
    var serverMore = document.getElementById("more");
    if (serverMore) serverMore.parentNode.hidden = true;  // the button above pages without a page load
  }

  function fetchList(params, offset) {
    params.set("limit", String(W.page_size));
    params.set("offset", String(offset));
    return fetch("/api/farmstays?" + params.toString(), {headers: {"Accept": "application/json"}}).then(answered);
  }

  function showMore() {
    more.disabled = true;
    return fetchList(searchParams(), listed)
      .then(function (body) { recovered(); showList(body.features, body.numberMatched, true); })
      .catch(function (err) { failed(err, showMore); })
      .then(function () { more.disabled = false; });
  }
  more.addEventListener("click", showMore);

  // The search: chips apply at once; the address keeps it ------------------------------------
  function searchParams() {
    var params = new URLSearchParams();
    Array.prototype.forEach.call(form.elements, function (field) {
      if (field.name && field.value) params.set(field.name, field.value);
    });
    return params;
  }

  function markChips() {
    form.querySelectorAll(".chip").forEach(function (chip) {
      var fields = chip.matches("select, input") ? [chip] : Array.prototype.slice.call(chip.querySelectorAll("input, select"));
      if (fields.length && !chip.classList.contains("search")) {
        chip.classList.toggle("on", fields.some(function (f) { return f.value; }));
      }
    });
  }

  var fitNext = true;
  var searchRequest = 0;
  function run(push) {
    var params = searchParams();
    markChips();
    if (push) history.pushState(null, "", address(params));
    list.setAttribute("aria-busy", "true");   // the list stays while the new one comes; its heading is not "loading"
    var mine = ++searchRequest;
    return fetchList(params, 0)
      .then(function (body) {
        if (mine !== searchRequest) return null;
        recovered();
        showList(body.features, body.numberMatched, false);
        areaButton.hidden = true;
        document.querySelectorAll("#festivals li[data-id]").forEach(function (li) {
          var dated = params.get("from") || params.get("to");
          li.classList.toggle("on", Boolean(dated) && body.festivalsOn.indexOf(li.dataset.id) >= 0);
        });
        if (fitNext && body.bbox && !params.get("bbox")) {
          var b = body.bbox;
          var bounds = L.latLngBounds([[b[1], b[0]], [b[3], b[2]]]).pad(0.15);
          if (map.getSize().x === 0) {
            hiddenFit = bounds;
          } else {
            ourMove = true;
            map.fitBounds(bounds, {maxZoom: 13, animate: false});
            ourMove = false;
          }
        }
        fitNext = true;
        return loadMap();
      })
      .then(function () { if (mine === searchRequest) geoapp.farmstays.loaded += 1; })
      .catch(function (err) { if (mine === searchRequest) failed(err, function () { run(false); }); });
  }
  geoapp.farmstays.run = run;

  form.addEventListener("change", function (event) {
    if (event.target.name === "place") form.elements.near.value = "";
    if (event.target.name !== "bbox") form.elements.bbox.value = "";
    run(true);
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); run(true); });
  var typing = null;
  form.elements.q.addEventListener("input", function () {
    clearTimeout(typing);
    typing = setTimeout(function () { form.elements.bbox.value = ""; run(true); }, 350);
  });
  window.addEventListener("popstate", function () {
    var params = new URLSearchParams(window.location.search);
    Array.prototype.forEach.call(form.elements, function (field) { if (field.name) field.value = params.get(field.name) || ""; });
    if ((params.get("view") === "map" ? "map" : "list") !== currentView) setView(params.get("view") === "map" ? "map" : "list");
    run(false);
  });

  // The visitor moves the map: what is in view is loaded; "search this area" narrows the list --
  var userMoved = false;  // our own fitting of the results is not the visitor's move
  var moving = null;
  map.on("dragstart zoomstart", function () { if (!ourMove) userMoved = true; });
  map.on("moveend", function () {
    if (ourMove) return;
    if (userMoved) areaButton.hidden = false;
    userMoved = false;
    clearTimeout(moving);
    moving = setTimeout(loadMap, 150);
  });
  areaButton.addEventListener("click", function () {
    var b = map.getBounds();
    form.elements.bbox.value = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); }).join(",");
    fitNext = false;
    run(true);
  });

  // The list and the map in step ---------------------------------------------------------------
  list.addEventListener("click", function (event) {
    var item = event.target.closest("li[data-id]");
    if (!item || event.target.closest("a")) return;
    select(item.dataset.id, false);
    var m = markers[item.dataset.id];
    if (phone.matches) setView("map");
    if (m) {
      cluster.zoomToShowLayer(m, function () { m.openPopup(); });
      return;
    }
    var card = cards[item.dataset.id];  // in a group at this zoom: go close, then open it
    pendingOpen = card.id;
    ourMove = true;   // our move, not the visitor's: no "search this area"
    map.setView([card.lat, card.lon], Math.max(map.getZoom(), 16), {animate: false});
    ourMove = false;
    loadMap();
  });
  list.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.matches("li[data-id]")) event.target.click();
  });

  // Distance from the visitor: the browser's location goes into the address as near=LAT,LON.
  var button = document.getElementById("locate");
  var message = document.getElementById("locate-message");
  function say(text) { message.textContent = text; message.hidden = false; }
  button.addEventListener("click", function () {
    if (!navigator.geolocation) { say(button.dataset.unsupported); return; }
    say(button.dataset.locating);
    navigator.geolocation.getCurrentPosition(function (position) {
      form.elements.near.value = position.coords.latitude.toFixed(5) + "," + position.coords.longitude.toFixed(5);
      form.elements.place.value = "";
      form.elements.sort.value = "distance";
      message.hidden = true;
      run(true);
    }, function (error) {
      say(error.code === error.PERMISSION_DENIED ? button.dataset.refused : button.dataset.unavailable);
    }, {timeout: 10000, maximumAge: 60000});
  });

  // Back from a stay returns to the same place in the list: where it was scrolled and how far it
  // had been paged are kept with this entry of the history, and put back once the list is drawn.
  if ("scrollRestoration" in history) history.scrollRestoration = "manual";
  function remember() {
    history.replaceState({scroll: window.scrollY, paneScroll: list.closest(".results-pane").scrollTop, listed: listed},
                         "", address(new URLSearchParams(window.location.search)));
  }
  window.addEventListener("pagehide", remember);
  list.addEventListener("click", function (event) { if (event.target.closest("a")) remember(); }, true);
  var place = history.state;

  // Stays saved on this phone (from their pages): listed first, they open without a signal.
  function showSaved() {
    var box = document.getElementById("saved-stays");
    if (!box || !window.geoappTourist) return;
    var stays = Object.values(window.geoappTourist.saved()).sort(function (a, b) { return b.saved_at - a.saved_at; });
    var items = box.querySelector("ul");
    items.replaceChildren();
    stays.forEach(function (stay) {
      var li = el("li", "saved-stay");
      var a = el("a", "stay-name", stay.name);
      a.href = stay.url;
      li.appendChild(a);
      li.appendChild(el("span", "meta", stay.stars_text + " " + stay.price_text + " · " + stay.township));
      var call = el("a", "button call", W.call + " " + stay.phone);
      call.href = stay.tel;
      li.appendChild(call);
      items.appendChild(li);
    });
    box.hidden = stays.length === 0;
  }
  showSaved();

  setView(currentView);
  run(false).then(function () {
    if (!place || place.scroll === undefined) return null;
    function pageUntil(wanted) {   // the pages that were shown (at most 20), then the place in them
      if (listed >= wanted || more.hidden || listed >= 20 * W.page_size) return Promise.resolve();
      var before = listed;
      return showMore().then(function () { return listed > before ? pageUntil(wanted) : null; });
    }
    return pageUntil(place.listed || 0).then(function () {
      window.scrollTo(0, place.scroll);
      list.closest(".results-pane").scrollTop = place.paneScroll || 0;
      document.body.dataset.placeRestored = "true";
    });
  });
})();
