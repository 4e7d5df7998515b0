/* Farm-stay search page: the list and the map stay in step, and "distance from me". */
(function () {
  "use strict";
  var list = document.getElementById("results");

  function select(id, scroll) {
    list.querySelectorAll("li.selected").forEach(function (li) { li.classList.remove("selected"); });
    var item = list.querySelector('li[data-id="' + CSS.escape(id) + '"]');
    if (!item) return;
    item.classList.add("selected");
    if (scroll) item.scrollIntoView({block: "nearest", behavior: "smooth"});
  }

  // A tap on a list item centres the map on it and opens its popup.
  list.addEventListener("click", function (event) {
    var item = event.target.closest("li[data-id]");
    if (!item || event.target.closest("a")) return;
    select(item.dataset.id, false);
    geoapp.show("farm_stays", item.dataset.id);
    if (window.matchMedia("(max-width: 760px)").matches) {
      document.querySelector(".map-pane").scrollIntoView({behavior: "smooth"});
    }
  });
  list.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.matches("li[data-id]")) event.target.click();
  });

  // A tap on a marker highlights its list item.
  document.addEventListener("geoapp:select", function (event) {
    if (event.detail.layer === "farm_stays") select(event.detail.id, true);
  });

  // Distance from the visitor: the browser's location goes into the address as near=LAT,LON.
  var button = document.getElementById("locate");
  var message = document.getElementById("locate-message");
  var form = document.getElementById("search");
  function say(text) { message.textContent = text; message.hidden = false; }
  button.addEventListener("click", function () {
    if (!navigator.geolocation) { say(button.dataset.unsupported); return; }
    say(button.dataset.locating);
    navigator.geolocation.getCurrentPosition(function (position) {
      form.elements.near.value = position.coords.latitude.toFixed(5) + "," + position.coords.longitude.toFixed(5);
      form.elements.place.value = "";
      form.elements.sort.value = "distance";
      form.submit();
    }, function (error) {
      say(error.code === error.PERMISSION_DENIED ? button.dataset.refused : button.dataset.unavailable);
    }, {timeout: 10000, maximumAge: 60000});
  });
  // Choosing a place replaces an earlier location.
  form.elements.place.addEventListener("change", function () { form.elements.near.value = ""; });
  // Empty fields stay out of the address, so a shared search reads cleanly.
  form.addEventListener("submit", function () {
    Array.prototype.forEach.call(form.elements, function (field) {
      if (field.name && !field.value) field.disabled = true;
    });
  });
})();
