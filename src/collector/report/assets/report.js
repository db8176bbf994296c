// isoguard report: sorting, filtering and the language switch. The page is complete without
// this script; it only adds controls. It reads the DOM and never evaluates anything from it.
(function () {
  "use strict";
  var doc = document;
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };

  function key(row, index) {
    var cell = row.cells[index];
    if (!cell) { return ""; }
    var sort = cell.getAttribute("data-sort");
    return sort !== null ? sort : cell.textContent.trim();
  }

  function compare(a, b) {
    if (a !== "" && b !== "") {
      var na = Number(a), nb = Number(b);
      if (!isNaN(na) && !isNaN(nb)) { return na - nb; }
    }
    if (a === "" || b === "") { return a === b ? 0 : (a === "" ? 1 : -1); }
    return a.localeCompare(b, "zh-CN", { numeric: true });
  }

  each(doc.querySelectorAll("table.data"), function (table) {
    var body = table.tBodies[0];
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    each(heads, function (th, index) {
      th.tabIndex = 0;
      th.classList.add("sortable");
      th.setAttribute("aria-sort", "none");
      th.title = "点击排序 Click to sort";
      var sort = function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        each(heads, function (other) { other.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var rows = Array.prototype.filter.call(body.rows, function (row) {
          return !row.classList.contains("empty");
        });
        rows.sort(function (r1, r2) {
          var order = compare(key(r1, index), key(r2, index));
          return ascending ? order : -order;
        });
        each(rows, function (row) { body.appendChild(row); });
      };
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sort(); }
      });
    });
  });

  each(doc.querySelectorAll(".tools"), function (tools) {
    var input = tools.querySelector("input.filter");
    var shown = tools.querySelector(".shown");
    var table = input ? doc.getElementById(input.getAttribute("data-table") || "") : null;
    if (!input || !table) { return; }
    var body = table.tBodies[0];
    var apply = function () {
      var words = input.value.toLowerCase().split(/\s+/).filter(function (w) { return w !== ""; });
      var total = 0, visible = 0;
      each(body.rows, function (row) {
        if (row.classList.contains("empty")) { return; }
        total += 1;
        var text = row.textContent.toLowerCase();
        var match = words.every(function (w) { return text.indexOf(w) !== -1; });
        row.hidden = !match;
        if (match) { visible += 1; }
      });
      if (shown) { shown.textContent = "显示 Showing " + visible + " / " + total; }
    };
    input.addEventListener("input", apply);
    tools.hidden = false;
    apply();
  });

  var root = doc.documentElement;
  var buttons = doc.querySelectorAll(".lang button");
  var setLang = function (lang) {
    root.classList.remove("only-zh", "only-en");
    if (lang === "zh" || lang === "en") { root.classList.add("only-" + lang); }
    each(buttons, function (b) {
      b.setAttribute("aria-pressed", b.getAttribute("data-lang") === lang ? "true" : "false");
    });
  };
  each(buttons, function (b) {
    b.addEventListener("click", function () { setLang(b.getAttribute("data-lang")); });
  });
  var langBar = doc.querySelector(".lang");
  if (langBar) { langBar.hidden = false; }
  setLang("both");

  // Self-test for tests/report_browser.rs: opening the page as `report.html#selftest=WORD`
  // sorts by every column both ways (any script error shows on the console), then sorts the
  // host table by host name and filters it for WORD. The fragment is used as filter text only.
  var hash = window.location.hash;
  if (hash.indexOf("#selftest=") === 0) {
    each(doc.querySelectorAll("th.sortable"), function (th) { th.click(); th.click(); });
    var hostHead = doc.querySelector("#t-hosts thead th");
    if (hostHead) { hostHead.click(); }
    var word = hash.slice("#selftest=".length);
    try { word = decodeURIComponent(word); } catch (ignored) { /* keep it as it is */ }
    var hostFilter = doc.querySelector("input.filter[data-table='t-hosts']");
    if (hostFilter) {
      hostFilter.value = word;
      hostFilter.dispatchEvent(new Event("input"));
    }
    root.setAttribute("data-selftest", "done");
  }

  root.setAttribute("data-ready", "1");
}());
