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
  var markers = {};   // stay id -> marker
  var cards = {};     // stay id -> card
  var cluster = L.markerClusterGroup({showCoverageOnHover: false, maxClusterRadius: 40, spiderfyOnMaxZoom: true,
                                      zoomToBoundsOnClick: true});
  map.addLayer(cluster);
  geoapp.farmstays = {cards: cards, markers: markers, loaded: 0};

  // The view on phones: the list first, the map a tap away -----------------------------------
  var ourMove = false;
  var toggles = document.querySelectorAll(".view-toggle [data-view]");
  function setView(view) {
    document.body.classList.toggle("view-map", view === "map");
    document.body.classList.toggle("view-list", view === "list");
    toggles.forEach(function (b) { b.setAttribute("aria-selected", b.dataset.view === view ? "true" : "false"); });
    if (view === "map") setTimeout(function () { ourMove = true; map.invalidateSize(); ourMove = false; }, 0);
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
    var placeholder = el("span", "stay-photo placeholder", card.name.slice(0, 1));
    placeholder.setAttribute("aria-hidden", "true");
    return placeholder;
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
    body.appendChild(el("span", "meta", card.township + (card.distance_km !== null ? " · " + card.distance_km + " " + W.km : "")));
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
    box.appendChild(el("div", "meta illustrative", W.illustrative));
    return box;
  }

  // Price labels on the map: a 44 px tap target, split apart on tap when they overlap ----------
  function marker(card) {
    var label = el("span", "price-pin stars-" + card.stars, card.price_text + " ★" + card.stars);
    var icon = L.divIcon({className: "price-icon", html: label, iconSize: null, iconAnchor: [30, 22]});
    var m = L.marker([card.lat, card.lon], {icon: icon, title: card.name, riseOnHover: true, keyboard: true});
    m.bindPopup(function () { return popupContent(card); }, {maxWidth: 300, minWidth: 220});
    m.on("click", function () { select(card.id, true); });
    return m;
  }

  function select(id, scroll) {
    list.querySelectorAll("li.selected").forEach(function (li) { li.classList.remove("selected"); });
    var item = list.querySelector('li[data-id="' + CSS.escape(id) + '"]');
    if (!item) return;
    item.classList.add("selected");
    if (scroll && !phone.matches) item.scrollIntoView({block: "nearest", behavior: "smooth"});
  }

  function show(features, numberMatched) {
    cluster.clearLayers();
    Object.keys(markers).forEach(function (id) { delete markers[id]; delete cards[id]; });
    list.replaceChildren();
    if (!features.length) list.appendChild(el("li", "none", W.none));
    var layers = features.map(function (f) {
      var card = f.properties;
      cards[card.id] = card;
      markers[card.id] = marker(card);
      list.appendChild(listItem(card));
      return markers[card.id];
    });
    cluster.addLayers(layers);
    title.textContent = (numberMatched === 1 ? W.found_one : W.found).replace("{n}", numberMatched);
    var more = document.getElementById("more");
    if (more) more.hidden = true;  // the list now holds every stay found
    geoapp.farmstays.loaded += 1;
  }

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
  function run(push) {
    var params = searchParams();
    markChips();
    if (push) history.pushState(null, "", window.location.pathname + "?" + params.toString());
    params.set("limit", "1000");
    title.textContent = W.loading;
    return fetch("/api/farmstays?" + params.toString(), {headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json().then(function (body) { if (!r.ok) throw new Error(body.message); return body; }); })
      .then(function (body) {
        show(body.features, body.numberMatched);
        areaButton.hidden = true;
        document.querySelectorAll("#festivals li[data-id]").forEach(function (li) {
          var dated = params.get("from") || params.get("to");
          li.classList.toggle("on", Boolean(dated) && body.festivalsOn.indexOf(li.dataset.id) >= 0);
        });
        if (fitNext && body.features.length && !params.get("bbox")) {
          var bounds = L.latLngBounds(body.features.map(function (f) { return [f.properties.lat, f.properties.lon]; }));
          ourMove = true;
          map.fitBounds(bounds.pad(0.15), {maxZoom: 13, animate: false});
        }
        fitNext = true;
      })
      .catch(function (err) { title.textContent = W.failed + (err.message ? ": " + err.message : ""); });
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
    run(false);
  });

  // "Search this area" once the visitor moves the map ------------------------------------------
  var userMoved = false;  // our own fitting of the results is not the visitor's move
  map.on("dragstart zoomstart", function () { if (!ourMove) userMoved = true; });
  map.on("moveend", function () {
    if (userMoved && !ourMove) areaButton.hidden = false;
    userMoved = false;
    ourMove = false;
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
    if (!m) return;
    if (phone.matches) setView("map");
    cluster.zoomToShowLayer(m, function () { m.openPopup(); });
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

  setView(phone.matches ? "list" : "list");
  run(false);
})();
