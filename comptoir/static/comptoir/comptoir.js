// Comptoir's only hand-written script: small enhancements; every page works without it.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) {
      target.form.requestSubmit();
    }
  });

  // Close open menus when clicking elsewhere or pressing Escape.
  function closeMenus(except) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (menu !== except) menu.removeAttribute("open");
    });
  }
  document.addEventListener("click", function (event) {
    closeMenus(event.target instanceof Element ? event.target.closest("details.menu") : null);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closeMenus(null);
  });

  // On phones the navigation starts folded.
  document.addEventListener("DOMContentLoaded", function () {
    if (window.matchMedia("(max-width: 820px)").matches) {
      document.querySelectorAll("details.sidenav-toggle[open]").forEach(function (d) { d.removeAttribute("open"); });
    }
  });
})();
