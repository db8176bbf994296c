// isoguard report: sorting, filtering, paging and the language switch. Without this script
// the page shows every small table whole and the first page of a long one; it only adds
// controls. It reads the DOM and the page's JSON data (with JSON.parse), never evaluates
// anything from either, and puts the data's strings only into text nodes and attributes.
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

  // One collator for every comparison: creating one per call (what localeCompare with
  // options does) is what makes sorting 100,000 rows slow.
  var collator = new Intl.Collator("zh-CN", { numeric: true });
  function compare(a, b) {
    if (a !== "" && b !== "") {
      var na = Number(a), nb = Number(b);
      if (!isNaN(na) && !isNaN(nb)) { return na - nb; }
    }
    if (a === "" || b === "") { return a === b ? 0 : (a === "" ? 1 : -1); }
    return collator.compare(a, b);
  }

  // Times arrive as RFC 3339 UTC; show them in this computer's local time with its offset,
  // the UTC text staying in the title (hover) and in the CSV.
  var two = function (n) { return (n < 10 ? "0" : "") + n; };
  function localTime(el) {
    var when = new Date(el.getAttribute("datetime"));
    if (isNaN(when.getTime())) { return; }
    var offset = -when.getTimezoneOffset();
    var zone = "UTC" + (offset < 0 ? "-" : "+") + two(Math.floor(Math.abs(offset) / 60)) +
      ":" + two(Math.abs(offset) % 60);
    el.textContent = when.getFullYear() + "-" + two(when.getMonth() + 1) + "-" +
      two(when.getDate()) + " " + two(when.getHours()) + ":" + two(when.getMinutes()) + ":" +
      two(when.getSeconds()) + " " + zone;
    el.title = "UTC " + el.getAttribute("datetime");
  }

  // Rows of the long tables, built from their data as the page's markup builds its first
  // page (src/collector/report/html.rs: host_row, violation_row).
  var DASH = "\u2014";
  function el(tag, cls, text) {
    var e = doc.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }
  function add(parent) {
    for (var i = 1; i < arguments.length; i += 1) {
      var child = arguments[i];
      if (child === null || child === undefined) { continue; }
      parent.appendChild(typeof child === "string" ? doc.createTextNode(child) : child);
    }
    return parent;
  }
  function label(zh, en) {
    var a = el("span", "zh", zh), b = el("span", "en", en);
    a.lang = "zh-CN";
    b.lang = "en";
    return add(doc.createDocumentFragment(), a, " ", b);
  }
  function cell(row, cls) { var td = el("td", cls); add.apply(null, [td].concat(Array.prototype.slice.call(arguments, 2))); row.appendChild(td); return td; }
  function monoOr(value) { return value ? el("span", "mono", value) : DASH; }
  function sub(cls, text) { return el("span", "sub" + (cls ? " " + cls : ""), text); }
  function timeOf(t) {
    var e = el("time", "mono nowrap", t);
    e.setAttribute("datetime", t);
    e.title = t;
    localTime(e);
    return e;
  }
  function hostOf(shown, id, machine) {
    var f = add(doc.createDocumentFragment(), el("strong", "", shown));
    if (shown !== id) { add(f, sub("mono nowrap", id)); }
    if (machine && machine !== id) {
      var m = sub("mono nowrap", machine);
      m.title = "machine-id";
      add(f, m);
    }
    return f;
  }
  var VERDICTS = {
    violation: ["v-violation", "\u8fdd\u89c4", "violation", "0"],
    error: ["v-error", "\u51fa\u9519", "error", "1"],
    compliant: ["v-compliant", "\u5408\u89c4", "compliant", "3"]
  };
  var NO_VERDICT = ["v-none", "\u65e0\u7ed3\u679c", "none", "2"];
  var SEVERITIES = {
    critical: ["s-critical", "\u4e25\u91cd", "0"], high: ["s-high", "\u9ad8", "1"],
    medium: ["s-medium", "\u4e2d", "2"], low: ["s-low", "\u4f4e", "3"],
    info: ["s-info", "\u63d0\u793a", "4"]
  };
  var own = Object.prototype.hasOwnProperty;
  function verdictOf(v) { return v === null ? NO_VERDICT : (own.call(VERDICTS, v) ? VERDICTS[v] : null); }
  function verdictKey(v) { var known = verdictOf(v); return known ? known[3] : "4 " + v; }
  function verdictBadge(v) {
    var known = verdictOf(v);
    return known ? add(el("span", "badge " + known[0]), label(known[1], known[2]))
      : el("span", "badge v-other", v);
  }
  function severityKey(s) { return own.call(SEVERITIES, s) ? SEVERITIES[s][2] : "5 " + s; }
  function severityBadge(s) {
    return own.call(SEVERITIES, s)
      ? add(el("span", "badge " + SEVERITIES[s][0]), label(SEVERITIES[s][1], s))
      : el("span", "badge s-other", s);
  }
  function said(en, zh) {
    if (!zh || zh === en) { return en; }
    var a = el("span", "zh", zh), b = el("span", "en", en);
    a.lang = "zh-CN";
    b.lang = "en";
    return add(doc.createDocumentFragment(), a, b);
  }
  var text = function (v) { return v === null || v === undefined ? "" : String(v); };

  // hosts: [unit, id, hostname, machine id, time, verdict, [failed rules], policy id,
  // policy version, agent version, sequence, findings, stale]
  var renderers = {
    hosts: {
      unit: function (r) { return r[0]; },
      row: function (r) {
        var tr = el("tr", r[12] ? "stale" : "");
        var shown = r[2] || r[1];
        cell(tr, "", hostOf(shown, r[1], r[3]));
        cell(tr, "", r[4] ? timeOf(r[4]) : label("\u4ece\u672a", "never"));
        cell(tr, "", verdictBadge(r[5]));
        var failed = cell(tr, "");
        if (!r[6].length) { add(failed, DASH); }
        r[6].forEach(function (rule, i) { add(failed, i ? el("br") : null, el("span", "mono", rule)); });
        if (r[7] === null && r[8] === null) { cell(tr, "", DASH); } else {
          cell(tr, "", r[7] || DASH, sub("", r[8] || DASH));
        }
        cell(tr, "", r[9] ? el("span", "mono", r[9]) : DASH);
        cell(tr, "num", r[10] === null ? DASH : String(r[10]));
        cell(tr, "num", String(r[11]));
        cell(tr, "", r[12] ? add(el("span", "badge stale-flag"), label("\u8d85\u671f", "stale"))
          : label("\u5426", "no"));
        return tr;
      },
      key: function (r, i) {
        switch (i) {
          case 0: return r[2] || r[1];
          case 1: return text(r[4]);
          case 2: return verdictKey(r[5]);
          case 3: return r[6].join(" ");
          case 4: return text(r[7]) + " " + text(r[8]);
          case 5: return text(r[9]);
          case 6: return text(r[10]);
          case 7: return text(r[11]);
          default: return r[12] ? "0" : "1";
        }
      },
      words: function (r) {
        var known = verdictOf(r[5]);
        return [r[1], r[2], r[3], r[4], known ? known[1] + " " + known[2] : r[5], r[6].join(" "),
          r[7], r[8], r[9], r[10], r[11], r[12] ? "\u8d85\u671f stale" : ""].map(text).join(" ");
      }
    },
    // evidence: [host shown, host id, rule, title zh, title en, severity, time, sequence,
    // device: null or [name, kind, manufacturer, product, vendor id, product id, serial, mac,
    // port, device path, detail, detail zh]]
    evidence: {
      row: function (r) {
        var tr = el("tr", "");
        cell(tr, "", hostOf(r[0], r[1], null));
        var zh = sub("zh", r[3]), en = sub("en", r[4]);
        zh.lang = "zh-CN";
        en.lang = "en";
        cell(tr, "", el("span", "mono nowrap", r[2]), zh, en);
        cell(tr, "", severityBadge(r[5]));
        cell(tr, "", timeOf(r[6]), sub("", "#" + r[7]));
        var d = r[8];
        if (!d) {
          cell(tr, "", label("\u65e0\u8bbe\u5907\u8bc1\u636e", "no device evidence"));
          for (var i = 0; i < 4; i += 1) { cell(tr, "", DASH); }
          return tr;
        }
        var made = [d[2], d[3]].filter(function (s) { return s; });
        cell(tr, "", d[0] || DASH, sub("mono", d[1]), made.length ? sub("", made.join(" / ")) : null);
        cell(tr, "", d[4] === null && d[5] === null ? DASH
          : el("span", "mono nowrap", (d[4] || "?") + ":" + (d[5] || "?")));
        var mac = d[7] ? sub("mono", "MAC " + d[7]) : null;
        if (d[6]) { cell(tr, "", el("span", "mono", d[6]), mac); } else { cell(tr, "", mac || DASH); }
        cell(tr, "", monoOr(d[8]), d[9] ? sub("mono", d[9]) : null);
        cell(tr, "", d[10] ? said(d[10], d[11]) : DASH);
        return tr;
      },
      key: function (r, i) {
        var d = r[8] || [];
        switch (i) {
          case 0: return r[0];
          case 1: return r[2];
          case 2: return severityKey(r[5]);
          case 3: return r[6];
          case 4: return text(d[0] || d[1]);
          case 5: return text(d[4]) + ":" + text(d[5]);
          case 6: return text(d[6] || d[7]);
          case 7: return text(d[8]);
          default: return text(d[10]);
        }
      },
      words: function (r) { return r.slice(0, 8).concat(r[8] || []).map(text).join(" "); }
    }
  };

  // A long table: its rows are data; one page of them is in the table at a time. Filtering
  // and sorting work on every row, the unit choice on the hosts' units.
  function pagedTable(table) {
    var source = doc.getElementById(table.getAttribute("data-source") || "");
    var kind = renderers[table.getAttribute("data-kind") || ""];
    var section = table.closest("section");
    var tools = section ? section.querySelector(".tools") : null;
    if (!source || !kind || !tools) { return null; }
    var data;
    try { data = JSON.parse(source.textContent); } catch (ignored) { return null; }
    var rows = (data.rows || []).map(function (r) { return { r: r, words: null }; });
    var size = data.page || 100, units = data.units || [];
    var body = table.tBodies[0];
    var shown = tools.querySelector(".shown"), pageLabel = tools.querySelector(".page");
    var prev = tools.querySelector("button[data-page='prev']");
    var next = tools.querySelector("button[data-page='next']");
    var choice = tools.querySelector("select.unit");
    var state = { page: 0, unit: -1, words: [], view: rows };
    var columns = table.tHead ? table.tHead.rows[0].cells.length : 1;

    function matches(w) {
      if (state.unit >= 0 && kind.unit && kind.unit(w.r) !== state.unit) { return false; }
      if (!state.words.length) { return true; }
      if (w.words === null) { w.words = kind.words(w.r).toLowerCase(); }
      return state.words.every(function (word) { return w.words.indexOf(word) !== -1; });
    }
    function draw() {
      var view = state.view, pages = Math.max(1, Math.ceil(view.length / size));
      state.page = Math.min(Math.max(state.page, 0), pages - 1);
      var from = state.page * size, to = Math.min(from + size, view.length);
      var list = doc.createDocumentFragment();
      for (var i = from; i < to; i += 1) { list.appendChild(kind.row(view[i].r)); }
      if (!view.length) {
        var empty = el("tr", "empty"), td = el("td");
        td.colSpan = columns;
        list.appendChild(add(empty, add(td, label("\u65e0", "None"))));
      }
      body.replaceChildren(list);
      if (pageLabel) { pageLabel.textContent = (state.page + 1) + " / " + pages; }
      if (prev) { prev.disabled = state.page === 0; }
      if (next) { next.disabled = state.page >= pages - 1; }
      if (shown) {
        shown.textContent = say("shown") + " " + (view.length ? from + 1 : 0) + "\u2013" + to +
          " / " + view.length + (view.length !== rows.length ? " (" + rows.length + ")" : "");
      }
    }
    function refresh() {
      state.view = rows.filter(matches);
      draw();
    }
    if (prev) { prev.addEventListener("click", function () { state.page -= 1; draw(); }); }
    if (next) { next.addEventListener("click", function () { state.page += 1; draw(); }); }
    if (choice && kind.unit && units.length > 1) {
      var all = el("option", "", "\u5168\u90e8\u5355\u4f4d All units");
      all.value = "-1";
      choice.appendChild(all);
      units.forEach(function (unit, i) {
        var option = el("option", "", unit === null
          ? "\u672c\u6536\u96c6\u5668\u76f4\u63a5\u6536\u53d6\u7684\u4e3b\u673a This collector's own hosts" : unit);
        option.value = String(i);
        choice.appendChild(option);
      });
      choice.addEventListener("change", function () {
        state.unit = Number(choice.value);
        state.page = 0;
        refresh();
      });
      choice.hidden = false;
    }
    refresh();
    return {
      filter: function (value) {
        state.words = value.toLowerCase().split(/\s+/).filter(function (w) { return w !== ""; });
        state.page = 0;
        refresh();
      },
      sort: function (index, ascending) {
        var keyed = rows.map(function (w) { return [kind.key(w.r, index), w]; });
        keyed.sort(function (a, b) {
          var order = compare(a[0], b[0]);
          return ascending ? order : -order;
        });
        rows = keyed.map(function (k) { return k[1]; });
        state.page = 0;
        refresh();
      },
      redraw: draw
    };
  }
  var pagers = {};
  each(doc.querySelectorAll("table.data.paged"), function (table) {
    var pager = pagedTable(table);
    if (pager) { pagers[table.id] = pager; }
  });
  var rowsOf = function (body) {
    return Array.prototype.filter.call(body.rows, function (row) {
      return !row.classList.contains("empty");
    });
  };

  each(doc.querySelectorAll("table.data"), function (table) {
    var body = table.tBodies[0];
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    var pager = own.call(pagers, table.id) ? pagers[table.id] : null;
    if (table.classList.contains("paged") && !pager) { return; }
    each(heads, function (th, index) {
      th.tabIndex = 0;
      th.classList.add("sortable");
      th.setAttribute("aria-sort", "none");
      relabel.push(function () { th.title = say("sort"); });
      var sort = function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        each(heads, function (other) { other.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        if (pager) { pager.sort(index, ascending); return; }
        var rows = rowsOf(body);
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
    var pager = own.call(pagers, table.id) ? pagers[table.id] : null;
    var apply = pager ? function () { pager.filter(input.value); } : function () {
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

  // Rows a paged table drew are already local; the markup's are not yet.
  each(doc.querySelectorAll("time[datetime]"), function (e) {
    if (e.title.indexOf("UTC ") !== 0) { localTime(e); }
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
    // A long table: its second page is drawn, and what it starts with is recorded; the host
    // table then shows its last unit (when there are units) before the filter is applied.
    each(doc.querySelectorAll("table.data.paged"), function (table) {
      var tools = table.closest("section").querySelector(".tools");
      var next = tools ? tools.querySelector("button[data-page='next']") : null;
      if (!next) { return; }
      next.click();
      var first = table.querySelector("tbody tr td strong");
      table.setAttribute("data-selftest-page2", first ? first.textContent : "");
    });
    var unitChoice = doc.querySelector("#hosts select.unit");
    if (unitChoice && unitChoice.options.length > 1) {
      unitChoice.value = unitChoice.options[unitChoice.options.length - 1].value;
      unitChoice.dispatchEvent(new Event("change"));
    }
    var hostFilter = doc.querySelector("input.filter[data-table='t-hosts']");
    if (hostFilter) {
      hostFilter.value = word;
      hostFilter.dispatchEvent(new Event("input"));
    }
    root.setAttribute("data-selftest", "done");
  }

  root.setAttribute("data-ready", "1");
}());
