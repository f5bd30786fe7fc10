// kommunetest report: sorting, filtering and search of ranking tables. Plain JavaScript, no libraries;
// the page works without it (the filters stay hidden and the table keeps its published order).
"use strict";
(function () {
  document.documentElement.classList.add("js");
  var collator = new Intl.Collator("nb", { sensitivity: "base", numeric: true });

  function cellValue(row, index, type) {
    var cell = row.children[index];
    var v = cell ? cell.getAttribute("data-v") : "";
    if (type === "num") {
      var n = parseFloat(v);
      return isNaN(n) ? Number.NEGATIVE_INFINITY : n;
    }
    return v || "";
  }

  function setupSorting(table) {
    var headers = Array.prototype.slice.call(table.querySelectorAll("thead th"));
    headers.forEach(function (th, index) {
      var button = th.querySelector("button[data-key]");
      if (!button) { return; }
      button.addEventListener("click", function () {
        var type = button.getAttribute("data-type");
        var current = th.getAttribute("aria-sort");
        // Numbers where higher is better sort best first on the first click; ranks and names ascending.
        var key = button.getAttribute("data-key");
        var firstDescending = type === "num" && ["rank", "list_rank", "interval"].indexOf(key) < 0;
        var ascending = current ? current !== "ascending" : !firstDescending;
        headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.forEach(function (row, i) { row._order = i; });
        rows.sort(function (a, b) {
          var x = cellValue(a, index, type), y = cellValue(b, index, type);
          var c = type === "num" ? (x < y ? -1 : x > y ? 1 : 0) : collator.compare(x, y);
          if (!ascending) { c = -c; }
          return c || a._order - b._order;
        });
        var fragment = document.createDocumentFragment();
        rows.forEach(function (row) { fragment.appendChild(row); });
        body.appendChild(fragment);
      });
    });
  }

  function setupFilters(form) {
    var table = document.getElementById(form.getAttribute("data-table"));
    if (!table) { return; }
    var count = form.querySelector(".count");
    var search = form.querySelector("[data-filter=search]");
    var county = form.querySelector("[data-filter=county]");
    var size = form.querySelector("[data-filter=size]");
    function apply() {
      var q = search ? search.value.trim().toLocaleLowerCase("nb") : "";
      var c = county ? county.value : "";
      var s = size ? size.value : "";
      var rows = table.tBodies[0].rows, shown = 0;
      for (var i = 0; i < rows.length; i++) {
        var row = rows[i];
        var ok = (!q || (row.getAttribute("data-search") || "").indexOf(q) >= 0) &&
                 (!c || row.getAttribute("data-county") === c) &&
                 (!s || row.getAttribute("data-size") === s);
        row.hidden = !ok;
        if (ok) { shown++; }
      }
      if (count) {
        count.textContent = count.getAttribute("data-template")
          .replace("{shown}", String(shown)).replace("{total}", String(rows.length));
      }
    }
    form.addEventListener("submit", function (e) { e.preventDefault(); });
    [search, county, size].forEach(function (el) {
      if (el) { el.addEventListener("input", apply); el.addEventListener("change", apply); }
    });
    apply();
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("table.ranking"), setupSorting);
    Array.prototype.forEach.call(document.querySelectorAll("form.filters[data-table]"), setupFilters);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
