/* Fills the blocks marked data-kt-src with what the JSON at that URL says (opening hours, a chat button).
   Only a browser that runs this script sees those values: they are not in the HTML. */
(function () {
  function esc(s) {
    return String(s).replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
    });
  }
  function fill(el, d) {
    var html = "";
    if (d.title) html += "<h3>" + esc(d.title) + "</h3>";
    if (d.lines && d.lines.length) {
      html += "<ul>" + d.lines.map(function (l) { return "<li>" + esc(l) + "</li>"; }).join("") + "</ul>";
    }
    if (d.button) html += '<a class="kt-button" href="' + esc(d.href || "#") + '">' + esc(d.button) + "</a>";
    el.innerHTML = html;
    el.setAttribute("data-kt-loaded", "1");
  }
  function run() {
    var els = document.querySelectorAll("[data-kt-src]");
    Array.prototype.forEach.call(els, function (el) {
      fetch(el.getAttribute("data-kt-src"))
        .then(function (r) { return r.json(); })
        .then(function (d) { fill(el, d); })
        .catch(function () { el.setAttribute("data-kt-loaded", "error"); });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run);
  else run();
})();
