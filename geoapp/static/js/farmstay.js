/* A farm stay's page: "copy address" puts the full address on the clipboard. */
(function () {
  "use strict";
  var button = document.querySelector(".copy-address");
  var message = document.getElementById("copy-message");
  if (!button) return;
  button.addEventListener("click", function () {
    var done = function () { message.textContent = button.dataset.copied; message.hidden = false; };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(button.dataset.address).then(done, function () { fallback(); });
    } else {
      fallback();
    }
    function fallback() {  // older phones: select a hidden field and copy it
      var field = document.createElement("textarea");
      field.value = button.dataset.address;
      field.setAttribute("readonly", "");
      field.style.position = "absolute";
      field.style.left = "-9999px";
      document.body.appendChild(field);
      field.select();
      try { document.execCommand("copy"); done(); } finally { document.body.removeChild(field); }
    }
  });
})();
