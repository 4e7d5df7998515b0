/* A farm stay's page: "copy address" and "share" put text on the clipboard (or hand the link to
 * the phone's share sheet), "save on this phone" keeps the stay for a road without signal. */
(function () {
  "use strict";
  var message = document.getElementById("copy-message");
  function say(text) { message.textContent = text; message.hidden = false; }

  function copy(text, done) {
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () { fallback(); });
    } else {
      fallback();
    }
    function fallback() {  // older phones: select a hidden field and copy it
      var field = document.createElement("textarea");
      field.value = text;
      field.setAttribute("readonly", "");
      field.style.position = "absolute";
      field.style.left = "-9999px";
      document.body.appendChild(field);
      field.select();
      try { document.execCommand("copy"); done(); } finally { document.body.removeChild(field); }
    }
  }

  var address = document.querySelector(".copy-address");
  if (address) address.addEventListener("click", function () {
    copy(address.dataset.address, function () { say(address.dataset.copied); });
  });

  var share = document.querySelector(".share");
  if (share) share.addEventListener("click", function () {
    var link = window.location.origin + window.location.pathname + "?lang=" + document.documentElement.lang.slice(0, 2);
    if (navigator.share) {
      navigator.share({title: share.dataset.title, text: share.dataset.text, url: link}).catch(function () {});
    } else {
      copy(share.dataset.title + " " + link, function () { say(share.dataset.copied); });
    }
  });

  var keep = document.querySelector(".save-stay");
  if (keep && window.geoappTourist) {
    var stay = JSON.parse(keep.dataset.stay);
    var show = function () {
      var isSaved = Boolean(window.geoappTourist.saved()[stay.id]);
      keep.textContent = isSaved ? keep.dataset.saved : keep.dataset.save;
      keep.setAttribute("aria-pressed", isSaved ? "true" : "false");
    };
    keep.addEventListener("click", function () {
      if (window.geoappTourist.saved()[stay.id]) {
        window.geoappTourist.forget(stay.id);
        message.hidden = true;
      } else {
        window.geoappTourist.save(stay);
        say(keep.dataset.savedMessage);
      }
      show();
    });
    show();
  }
})();
