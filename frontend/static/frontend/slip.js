/* Referral slip: the print button. */
(function () {
  "use strict";
  var button = document.getElementById("print-slip");
  if (button) {
    button.addEventListener("click", function () {
      window.print();
    });
  }
})();
