/* Coverage page: a link in the side pane opens its feature on the map. */
document.addEventListener("click", function (event) {
  var link = event.target.closest("a[data-layer]");
  if (!link) return;
  event.preventDefault();
  if (window.geoapp && geoapp.show(link.dataset.layer, link.dataset.id)) {
    document.querySelector(".map-pane").scrollIntoView({behavior: "smooth", block: "start"});
  }
});
/* Choosing another indicator shows it (the form is submitted). */
(function () {
  var select = document.getElementById("metric");
  if (select) select.addEventListener("change", function () { select.form.submit(); });
})();
