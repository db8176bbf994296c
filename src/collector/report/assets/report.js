// isoguard report: sorting, filtering and the language switch. The page is complete without
// this script; it only adds controls. It reads the DOM and never evaluates anything from it.
(function () {
  "use strict";
  var doc = document;
  var root = doc.documentElement;
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };

  // The language shown: the reader's last choice on this computer, else the one the report
  // was written for (`report --lang`, carried as <html data-lang>). "both" shows both.
  var STORE_KEY = "isoguard.report.lang";
  var lang = root.getAttribute("data-lang") || "both";
  try {
    var stored = window.localStorage.getItem(STORE_KEY);
    if (stored === "zh" || stored === "en" || stored === "both") { lang = stored; }
  } catch (ignored) { /* storage refused (a locked-down profile): use the page's own */ }
  var words = {
    sort: { zh: "点击排序", en: "Click to sort", both: "点击排序 Click to sort" },
    shown: { zh: "显示", en: "Showing", both: "显示 Showing" }
  };
  var say = function (word) { return words[word][lang]; };
  var relabel = [];

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
      relabel.push(function () { th.title = say("sort"); });
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
      if (shown) { shown.textContent = say("shown") + " " + visible + " / " + total; }
    };
    relabel.push(function () {
      var placeholder = input.getAttribute("data-placeholder-" + (lang === "en" ? "en" : "zh"));
      input.placeholder = lang === "both"
        ? input.getAttribute("data-placeholder-zh") + " / " + input.getAttribute("data-placeholder-en")
        : placeholder;
      apply();
    });
    input.addEventListener("input", apply);
    tools.hidden = false;
    apply();
  });

  // Times arrive as RFC 3339 UTC; show them in this computer's local time with its offset,
  // the UTC text staying in the title (hover) and in the CSV.
  var two = function (n) { return (n < 10 ? "0" : "") + n; };
  each(doc.querySelectorAll("time[datetime]"), function (el) {
    var when = new Date(el.getAttribute("datetime"));
    if (isNaN(when.getTime())) { return; }
    var offset = -when.getTimezoneOffset();
    var zone = "UTC" + (offset < 0 ? "-" : "+") + two(Math.floor(Math.abs(offset) / 60)) +
      ":" + two(Math.abs(offset) % 60);
    el.textContent = when.getFullYear() + "-" + two(when.getMonth() + 1) + "-" +
      two(when.getDate()) + " " + two(when.getHours()) + ":" + two(when.getMinutes()) + ":" +
      two(when.getSeconds()) + " " + zone;
    el.title = "UTC " + el.getAttribute("datetime");
  });

  var buttons = doc.querySelectorAll(".lang button");
  var setLang = function (chosen, remember) {
    lang = chosen === "zh" || chosen === "en" ? chosen : "both";
    root.classList.remove("only-zh", "only-en");
    if (lang !== "both") { root.classList.add("only-" + lang); }
    root.setAttribute("lang", lang === "en" ? "en" : "zh-CN");
    each(buttons, function (b) {
      b.setAttribute("aria-pressed", b.getAttribute("data-lang") === lang ? "true" : "false");
    });
    each(relabel, function (fn) { fn(); });
    if (remember) {
      try { window.localStorage.setItem(STORE_KEY, lang); } catch (ignored) { /* not kept */ }
    }
  };
  each(buttons, function (b) {
    b.addEventListener("click", function () { setLang(b.getAttribute("data-lang"), true); });
  });
  var langBar = doc.querySelector(".lang");
  if (langBar) { langBar.hidden = false; }
  setLang(lang, false);

  // Self-test for tests/report_browser.rs: opening the page as `report.html#selftest=WORD`
  // sorts by every column both ways (any script error shows on the console), then sorts the
  // host table by host name and filters it for WORD. The fragment is used as filter text only.
  var hash = window.location.hash;
  // For the test of the remembered choice: `#choose=en` presses that language's button.
  if (hash.indexOf("#choose=") === 0) {
    each(buttons, function (b) {
      if ("#choose=" + b.getAttribute("data-lang") === hash) { b.click(); }
    });
  }
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
