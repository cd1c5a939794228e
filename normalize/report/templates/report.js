/* newsnorm review page.
 *
 * Renders every view on demand from the JSON embedded in #report-data (see
 * normalize/report/embed.py for its packed layout and budget.py for when it
 * is compressed and texts are cut), so a report of 100,000 documents opens
 * fast: only the visible page of a list is ever built. The build wraps this
 * file, report-dom.js and report-diff.js in one function scope.
 *
 * Scraped text is hostile. The DOM is built with createElement and text
 * nodes only (never innerHTML), links only ever point inside the page or to
 * http(s) URLs, and the page's Content-Security-Policy runs this script alone.
 */

  var PAGE = 50;              // rows per list page
  var MEMBER_PAGE = 200;      // members listed per cluster page

  var raw = JSON.parse(document.getElementById("report-data").textContent);

  /* Large reports carry their data gzipped and base64-encoded in parts ("z":
   * everything else, then the texts in parts of consecutive entries); the
   * browser inflates them itself, nothing is fetched. */
  function inflate(b64) {
    var bin = atob(b64), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(JSON.parse);
  }
  if (!raw.z) main(raw);
  else if (typeof DecompressionStream === "undefined") fail("This browser cannot unpack the report's data (DecompressionStream is missing); open it in a current Chrome, Firefox or Safari.");
  else {
    document.body.classList.add("loading");
    Promise.all(raw.z.map(inflate)).then(function (parts) {
      // the texts come in parts, packed side by side: their tables joined in order
      var texts = { T: [], TL: [] };
      parts.slice(1).forEach(function (part) { texts.T = texts.T.concat(part.T); texts.TL = texts.TL.concat(part.TL); });
      main(Object.assign({ meta: raw.meta }, parts[0], texts));
    }).catch(function (e) { fail("The report's data could not be unpacked: " + e); });
  }
  function fail(message) {
    var p = document.createElement("p");
    p.className = "notice";
    p.textContent = message;
    document.querySelector("main").prepend(p);
  }

  function main(data) {
  document.body.classList.remove("loading");
  var S = data.s, T = data.T, TL = data.TL, D = data.d, C = data.c, R = data.r;
  // Unflatten the packed per-document lists (see embed.py) into tuples.
  function tuples(flat, n) { var out = []; for (var i = 0; i < flat.length; i += n) out.push(flat.slice(i, i + n)); return out; }
  D.rm = D.rm.map(function (x) { return tuples(x, 3); });
  D.a = D.a.map(function (x) { return tuples(x, 3); });
  D.f = D.f.map(function (x) { return tuples(x, 2); });
  D.top = D.top.map(function (x) { return tuples(x, 2); });
  D.src = D.sf.map(function (f, i) { return [f, D.sl[i] === null ? "?" : D.sl[i]]; });
  // Similarity and kept copy per document, from the clusters (the packed data only lists exceptions).
  var SIM = new Array(D.id.length).fill(null), DUP = new Int32Array(D.id.length).fill(-1);
  C.m.forEach(function (members, ci) {
    members.forEach(function (m) { SIM[m[0]] = m[1]; if (m[0] !== C.kept[ci] && C.kept[ci] >= 0) DUP[m[0]] = C.kept[ci]; });
  });
  Object.keys(D.sim).forEach(function (k) { SIM[+k] = D.sim[k]; });
  Object.keys(D.dup).forEach(function (k) { DUP[+k] = D.dup[k]; });
  var nDocs = D.id.length, nClusters = C.id.length;
  var app = document.getElementById("app");
  var overview = document.getElementById("overview");

  // ---------------------------------------------------------------- indexes
  var docById = new Map();
  D.id.forEach(function (id, i) { if (!docById.has(id)) docById.set(id, i); });
  var clusterById = new Map();
  C.id.forEach(function (id, i) { clusterById.set(id, i); });
  var rejectedById = new Map();
  R.forEach(function (r, i) { if (r[2] !== null && !rejectedById.has(r[2])) rejectedById.set(r[2], i); });

  // Per-cluster facts the filters need, computed once.
  var cInfo = C.id.map(function (id, ci) {
    var langs = new Set(), art = 0, tr = 0, minSim = 1, maxSim = 0;
    C.m[ci].forEach(function (m) {
      var di = m[0];
      langs.add(S[D.lang[di]]);
      art += D.a[di].length;
      if (D.tr[di]) tr++;
      if (di !== C.kept[ci] && m[1] !== null) { minSim = Math.min(minSim, m[1]); maxSim = Math.max(maxSim, m[1]); }
    });
    if (minSim > maxSim) minSim = maxSim = null;  // no member with a similarity
    return { langs: Array.from(langs).sort(), art: art, tr: tr, minSim: minSim, maxSim: maxSim };
  });

  var langCounts = countBy(D.lang.map(function (l) { return S[l]; }));
  var artKinds = countBy([].concat.apply([], D.a.map(function (as) { return as.map(function (a) { return S[a[0]]; }); })));
  var kindClass = new Map();
  artKinds.forEach(function (k, i) { kindClass.set(k[0], "k" + (i % 6)); });
  var rejectReasons = countBy(R.map(function (r) { return S[r[3]]; }));

  var lowered = new Array(T.length);
  function lowerText(ti) { return lowered[ti] || (lowered[ti] = T[ti].toLowerCase()); }

  // ---------------------------------------------------------------- DOM helpers
  function docHref(di) { return "#doc/" + enc(D.id[di]); }
  function clusterHref(ci, di) { return "#cluster/" + enc(C.id[ci]) + (di !== undefined ? "/" + enc(D.id[di]) : ""); }

  function docTitle(di) {
    var fields = D.f[di];
    for (var i = 0; i < fields.length; i++) {
      var key = S[fields[i][0]].toLowerCase();
      if ((key === "title" || key === "headline") && S[fields[i][1]].trim()) return S[fields[i][1]].trim();
    }
    var text = T[D.t[di]];
    var lines = text.split("\n");
    for (var j = 0; j < lines.length; j++) if (lines[j].trim()) return lines[j].trim().slice(0, 160);
    return "(empty text)";
  }
  function roleOf(di) {
    if (DUP[di] >= 0 || (D.c[di] >= 0 && C.kept[D.c[di]] !== di)) return "duplicate";
    return D.c[di] >= 0 ? "kept" : "singleton";
  }
  function simBar(x) {
    var bar = h("span", { class: "simbar", title: "similarity to the kept copy: " + fmtSim(x) }, h("span", { class: "simfill" }));
    bar.firstChild.style.width = Math.max(0, Math.min(1, x || 0)) * 100 + "%";
    return h("span", { class: "sim" }, bar, h("span", { class: "num" }, fmtSim(x)));
  }

  // ---------------------------------------------------------------- routing
  function parseHash() {
    var hash = location.hash.replace(/^#/, "");
    var q = hash.indexOf("?");
    var path = q >= 0 ? hash.slice(0, q) : hash;
    var params = new URLSearchParams(q >= 0 ? hash.slice(q + 1) : "");
    var parts = path.split("/").map(function (p) { try { return decodeURIComponent(p); } catch (e) { return p; } });
    return { route: parts[0] || "overview", args: parts.slice(1), params: params };
  }
  function setParams(route, params) {
    var query = params.toString();
    history.replaceState(null, "", "#" + route + (query ? "?" + query : ""));
  }

  function render() {
    var where = parseHash();
    document.querySelectorAll(".tabs a").forEach(function (a) {
      var r = a.getAttribute("data-route");
      var active = r === where.route || (r === "clusters" && where.route === "cluster") || (r === "docs" && where.route === "doc");
      a.classList.toggle("active", active);
    });
    if (where.route === "overview") {
      overview.hidden = false; app.hidden = true; app.textContent = "";
      return;
    }
    overview.hidden = true; app.hidden = false; app.textContent = "";
    var views = { clusters: clusterList, cluster: clusterView, docs: docList, doc: docView, rejected: rejectedList };
    (views[where.route] || notFound)(where);
    window.scrollTo(0, 0);
  }

  function notFound(where) {
    app.appendChild(h("div", { class: "card empty-state" },
      h("h1", null, "Nothing here"),
      h("p", null, "No view for ", h("code", null, location.hash), ". ", h("a", { href: "#overview" }, "Back to the overview"), ".")));
  }

  // ---------------------------------------------------------------- lists
  /* A filterable, paginated list. spec: {route, title, controls: [...], filter(params) -> indices, row(index)} */
  function listView(where, spec) {
    var params = where.params;
    var head = h("div", { class: "list-head" }, h("h1", null, spec.title));
    var controls = h("div", { class: "controls" });
    var status = h("div", { class: "list-status" });
    var body = h("div", { class: "list-body" });
    var pager = h("div", { class: "pager" });
    app.appendChild(head); app.appendChild(controls); app.appendChild(status); app.appendChild(body); app.appendChild(pager);

    var timer = null;
    function update(resetPage) {
      if (resetPage) params.delete("page");
      setParams(spec.route, params);
      results();
    }
    spec.controls.forEach(function (c) {
      var el;
      if (c.type === "search") {
        el = h("input", { type: "search", class: "search", placeholder: c.placeholder, "aria-label": c.placeholder, value: params.get(c.name) || "" });
        el.value = params.get(c.name) || "";
        el.addEventListener("input", function () {
          clearTimeout(timer);
          timer = setTimeout(function () { if (el.value) params.set(c.name, el.value); else params.delete(c.name); update(true); }, 160);
        });
        controls.appendChild(el);
      } else if (c.type === "select") {
        el = h("select", { "aria-label": c.label }, c.options.map(function (o) { return h("option", { value: o[0] }, o[1]); }));
        el.value = params.get(c.name) || "";
        if (el.value !== (params.get(c.name) || "")) el.value = "";
        el.addEventListener("change", function () { if (el.value) params.set(c.name, el.value); else params.delete(c.name); update(true); });
        controls.appendChild(h("label", { class: "select" }, h("span", null, c.label), el));
      } else if (c.type === "check") {
        el = h("input", { type: "checkbox" });
        el.checked = params.get(c.name) === "1";
        el.addEventListener("change", function () { if (el.checked) params.set(c.name, "1"); else params.delete(c.name); update(true); });
        controls.appendChild(h("label", { class: "check" }, el, h("span", null, c.label)));
      }
      el.setAttribute("data-control", c.name);
    });

    function results() {
      var t0 = performance.now();
      var hits = spec.filter(params);
      var pages = Math.max(1, Math.ceil(hits.length / PAGE));
      var page = Math.min(pages, Math.max(1, parseInt(params.get("page"), 10) || 1));
      status.textContent = fmt(hits.length) + " " + (hits.length === 1 ? spec.noun : spec.nouns) +
        (hits.length !== spec.total ? " of " + fmt(spec.total) : "") + " · " + Math.round(performance.now() - t0) + " ms";
      body.textContent = "";
      if (!hits.length) body.appendChild(h("p", { class: "empty" }, "No " + spec.nouns + " match."));
      else body.appendChild(spec.table(hits.slice((page - 1) * PAGE, page * PAGE)));
      pager.textContent = "";
      if (pages > 1) {
        var go = function (p) { return function () { params.set("page", String(p)); update(false); window.scrollTo(0, 0); }; };
        pager.appendChild(h("button", { type: "button", disabled: page <= 1, onclick: go(page - 1) }, "‹ Previous"));
        pager.appendChild(h("span", { class: "page-of" }, "Page " + fmt(page) + " of " + fmt(pages)));
        pager.appendChild(h("button", { type: "button", disabled: page >= pages, onclick: go(page + 1) }, "Next ›"));
      }
    }
    results();
  }

  function sizeRange(value) {
    var m = /^(\d+)(?:-(\d+))?$/.exec(value || "");
    if (!m) return null;
    return [parseInt(m[1], 10), m[2] ? parseInt(m[2], 10) : parseInt(m[1], 10)];
  }
  var clusterLangCounts = countBy([].concat.apply([], cInfo.map(function (info) { return info.langs; })));
  function langOptions(counts) {
    return [["", "any"]].concat(counts.map(function (l) { return [l[0], l[0] + " (" + fmt(l[1]) + ")"]; }));
  }

  function clusterList(where) {
    var sizeOptions = [["", "any"], ["2-2", "2"], ["3-5", "3–5"], ["6-10", "6–10"], ["11-50", "11–50"], ["51-1000000", "51+"]];
    var wanted = where.params.get("size");
    if (wanted && !sizeOptions.some(function (o) { return o[0] === wanted; })) sizeOptions.push([wanted, wanted.replace("-1000000", "+").replace("-", "–")]);
    listView(where, {
      route: "clusters", title: "Duplicate clusters", noun: "cluster", nouns: "clusters", total: nClusters,
      controls: [
        { type: "search", name: "q", placeholder: "Search cluster or document id, text, language…" },
        { type: "select", name: "lang", label: "Language", options: langOptions(clusterLangCounts) },
        { type: "select", name: "size", label: "Size", options: sizeOptions },
        { type: "select", name: "sort", label: "Sort", options: [["", "largest first"], ["sim", "least similar first"], ["id", "by id"]] },
        { type: "check", name: "art", label: "has artefacts" },
        { type: "check", name: "tr", label: "suspected translation" }
      ],
      filter: function (p) {
        var q = (p.get("q") || "").trim().toLowerCase(), lang = p.get("lang"), size = sizeRange(p.get("size"));
        var art = p.get("art") === "1", tr = p.get("tr") === "1";
        var hits = [];
        for (var ci = 0; ci < nClusters; ci++) {
          var info = cInfo[ci];
          if (lang && info.langs.indexOf(lang) < 0) continue;
          if (size && (C.size[ci] < size[0] || C.size[ci] > size[1])) continue;
          if (art && !info.art) continue;
          if (tr && !info.tr) continue;
          if (q && !clusterMatches(ci, q)) continue;
          hits.push(ci);
        }
        if (p.get("sort") === "sim") hits.sort(function (a, b) { return (cInfo[a].minSim === null ? 2 : cInfo[a].minSim) - (cInfo[b].minSim === null ? 2 : cInfo[b].minSim) || a - b; });
        else if (p.get("sort") === "id") hits.sort(function (a, b) { return C.id[a] < C.id[b] ? -1 : C.id[a] > C.id[b] ? 1 : 0; });
        return hits;
      },
      table: function (rows) {
        return h("div", { class: "rows" }, rows.map(function (ci) {
          var info = cInfo[ci], kept = C.kept[ci];
          return h("a", { class: "row cluster-row", href: clusterHref(ci) },
            h("span", { class: "size", title: C.size[ci] + " documents" }, fmt(C.size[ci])),
            h("span", { class: "row-main" },
              h("span", { class: "row-title" }, kept >= 0 ? docTitle(kept) : "(kept copy missing)"),
              h("span", { class: "row-sub" }, h("code", null, C.id[ci]), " · kept ", h("code", null, kept >= 0 ? D.id[kept] : "–"))),
            h("span", { class: "row-tags" },
              info.langs.map(function (l) { return chip(l, "lang"); }),
              info.art ? chip(info.art + " artefact" + (info.art > 1 ? "s" : ""), "warn") : null,
              info.tr ? chip("translation", "tr") : null),
            h("span", { class: "row-sim", title: "similarity of members to the kept copy (min–max)" },
              info.minSim !== null ? fmtSim(info.minSim) + (info.maxSim !== info.minSim ? "–" + fmtSim(info.maxSim) : "") : "–"));
        }));
      }
    });
  }
  function clusterMatches(ci, q) {
    if (C.id[ci].toLowerCase().indexOf(q) >= 0) return true;
    var members = C.m[ci];
    for (var i = 0; i < members.length; i++) {
      var di = members[i][0];
      if (S[D.lang[di]] === q || D.id[di].toLowerCase().indexOf(q) >= 0 || lowerText(D.t[di]).indexOf(q) >= 0) return true;
    }
    return false;
  }

  function docList(where) {
    listView(where, {
      route: "docs", title: "Documents", noun: "document", nouns: "documents", total: nDocs,
      controls: [
        { type: "search", name: "q", placeholder: "Search document id, text, language…" },
        { type: "select", name: "lang", label: "Language", options: langOptions(langCounts) },
        { type: "select", name: "role", label: "Role", options: [["", "any"], ["singleton", "singleton"], ["kept", "kept copy"], ["duplicate", "duplicate"]] },
        { type: "select", name: "art", label: "Artefacts", options: [["", "any"], ["1", "any kind"]].concat(artKinds.map(function (k) { return [k[0], k[0]]; })) },
        { type: "check", name: "tr", label: "suspected translation" }
      ],
      filter: function (p) {
        var q = (p.get("q") || "").trim().toLowerCase(), lang = p.get("lang"), role = p.get("role"), art = p.get("art"), tr = p.get("tr") === "1";
        var artIndex = art && art !== "1" ? S.indexOf(art) : -1;
        var hits = [];
        for (var di = 0; di < nDocs; di++) {
          if (lang && S[D.lang[di]] !== lang) continue;
          if (tr && !D.tr[di]) continue;
          if (art === "1" && !D.a[di].length) continue;
          if (art && art !== "1" && !D.a[di].some(function (a) { return a[0] === artIndex; })) continue;
          if (role && roleOf(di) !== role) continue;
          if (q && S[D.lang[di]] !== q && D.id[di].toLowerCase().indexOf(q) < 0 && lowerText(D.t[di]).indexOf(q) < 0) continue;
          hits.push(di);
        }
        return hits;
      },
      table: function (rows) {
        return h("div", { class: "rows" }, rows.map(function (di) {
          var role = roleOf(di);
          return h("a", { class: "row doc-row", href: docHref(di) },
            h("span", { class: "role role-" + role, title: role }, role === "kept" ? "kept" : role === "duplicate" ? "dup" : "single"),
            h("span", { class: "row-main" },
              h("span", { class: "row-title" }, docTitle(di)),
              h("span", { class: "row-sub" }, h("code", null, D.id[di]), " · ", S[D.src[di][0]], ":", D.src[di][1])),
            h("span", { class: "row-tags" },
              chip(S[D.lang[di]], "lang"),
              D.a[di].length ? chip(D.a[di].length + " artefact" + (D.a[di].length > 1 ? "s" : ""), "warn") : null,
              D.tr[di] ? chip("translation", "tr") : null),
            h("span", { class: "row-sim" }, SIM[di] !== null && role === "duplicate" ? fmtSim(SIM[di]) : ""));
        }));
      }
    });
  }

  function rejectedList(where) {
    if (where.args.length) return rejectedView(parseInt(where.args[0], 10));
    listView(where, {
      route: "rejected", title: "Rejected records", noun: "record", nouns: "records", total: R.length,
      controls: [
        { type: "search", name: "q", placeholder: "Search file, id, reason…" },
        { type: "select", name: "reason", label: "Reason", options: [["", "any"]].concat(rejectReasons.map(function (r) { return [r[0], r[0] + " (" + fmt(r[1]) + ")"]; })) }
      ],
      filter: function (p) {
        var q = (p.get("q") || "").trim().toLowerCase(), reason = p.get("reason"), hits = [];
        R.forEach(function (r, i) {
          if (reason && S[r[3]] !== reason) return;
          if (q && (S[r[0]] + " " + (r[2] || "") + " " + S[r[3]]).toLowerCase().indexOf(q) < 0) return;
          hits.push(i);
        });
        return hits;
      },
      table: function (rows) {
        return h("table", { class: "grid" },
          h("thead", null, h("tr", null, h("th", null, "file"), h("th", { class: "num" }, "line"), h("th", null, "id"), h("th", null, "reason"))),
          h("tbody", null, rows.map(function (i) {
            var r = R[i];
            return h("tr", null, h("td", null, S[r[0]]), h("td", { class: "num" }, r[1] === null ? "–" : String(r[1])),
              h("td", null, h("a", { href: "#rejected/" + i }, r[2] === null ? "(no id)" : r[2])), h("td", null, chip(S[r[3]], "reject")));
          })));
      }
    });
  }

  function rejectedView(i) {
    var r = R[i];
    if (!r) return notFound();
    app.appendChild(h("nav", { class: "crumbs" }, h("a", { href: "#rejected" }, "Rejected"), " › ", r[2] === null ? "record " + (i + 1) : r[2]));
    app.appendChild(h("div", { class: "card" },
      h("h1", null, "Rejected record ", h("code", null, r[2] === null ? "(no id)" : r[2])),
      h("table", { class: "kv" },
        h("tr", null, h("th", null, "reason"), h("td", null, chip(S[r[3]], "reject"))),
        h("tr", null, h("th", null, "source"), h("td", null, S[r[0]], r[1] === null ? "" : ":" + r[1]))),
      h("p", { class: "muted" }, "Rejected records never reach the pipeline, so they have no text, language or cluster.")));
  }

  // ---------------------------------------------------------------- text rendering
  /* Where an artefact shows in a text. The evidence is often the matched span
   * itself; when it is a description instead (kind "Hangul line \"...\"
   * (source: ko)"), the quoted parts of it are what the text contains. */
  var QUOTED = /["\u201c\u201e\u00ab]([^"\u201c\u201d\u201e\u00ab\u00bb]{2,}?)["\u201d\u00bb]/g;
  function needles(evidence) {
    var list = [evidence.trim()], m;
    QUOTED.lastIndex = 0;
    while ((m = QUOTED.exec(evidence))) list.push(m[1].trim());
    return list.filter(function (n) { return n.length >= 2; });
  }
  /* The original line number (the artefacts' and removed lines' numbering) of
   * each line of the cleaned text: removed lines took their numbers, the kept
   * lines fill the gaps in order. */
  function originalLines(text, removed) {
    var gone = new Set(removed.map(function (r) { return r[0]; })), out = [], n = 1;
    text.split("\n").forEach(function () { while (gone.has(n)) n++; out.push(n++); });
    return out;
  }
  /* Per-character marks (artefact index + 1) for the artefacts found in
   * ``text``: on the artefact's own line when the text has line numbers
   * (``lineNumbers``: original number of each line), else anywhere (up to 20
   * occurrences) except for artefacts of ``removedLines``; with ``onlyLine``,
   * only the artefacts of that line.
   * ``found[i]``: how many were marked. */
  function artefactMarks(text, artefacts, lineNumbers, onlyLine, removedLines) {
    var marks = new Uint16Array(text.length), found = [], lower = text.toLowerCase();
    var starts = [0];
    for (var i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
    function mark(ai, from, to, needle, limit) {
      var hay = text, n = needle, hits = 0;
      if (text.indexOf(needle, from) < 0) { hay = lower; n = needle.toLowerCase(); }
      var at = hay.indexOf(n, from);
      while (at >= 0 && at + n.length <= to && hits < limit) {
        for (var j = at; j < at + n.length; j++) if (!marks[j]) marks[j] = ai + 1;
        hits++;
        at = hay.indexOf(n, at + n.length);
      }
      return hits;
    }
    artefacts.forEach(function (a, ai) {
      if (onlyLine !== undefined && a[1] !== onlyLine) { found.push(0); return; }
      var hits = 0, own = lineNumbers ? lineNumbers.indexOf(a[1]) : -1;
      needles(S[a[2]]).some(function (needle) {
        if (own >= 0) hits = mark(ai, starts[own], own + 1 < starts.length ? starts[own + 1] : text.length, needle, 20);
        // An artefact on a removed line is shown there, not searched for elsewhere.
        // Elsewhere, a miss on its own line means the numbering drifted (the
        // stripper folds runs of blank lines), so search the whole text.
        if (!hits && !(removedLines && removedLines.has(a[1]))) hits = mark(ai, 0, text.length, needle, 20);
        return hits > 0;
      });
      found.push(hits);
    });
    return { marks: marks, found: found };
  }

  /* Render text into line elements, each a run of spans whose class combines
   * the diff state ("ins"/"del") and an artefact mark. */
  function renderLines(text, changedChars, diffClass, artefacts, marks) {
    var lines = [], line = h("div", { class: "ln" }), runStart = 0;
    function flush(end) {
      if (end <= runStart) return;
      var piece = text.slice(runStart, end);
      var diffOn = changedChars && changedChars[runStart];
      var ai = marks ? marks[runStart] : 0;
      if (!diffOn && !ai) { line.appendChild(document.createTextNode(piece)); return; }
      var span;
      if (ai) {
        var a = artefacts[ai - 1];
        span = h("mark", { class: "art " + (kindClass.get(S[a[0]]) || "k0") + (diffOn ? " " + diffClass : ""), title: S[a[0]] + " (line " + a[1] + "): " + S[a[2]] }, piece);
      } else span = h("span", { class: diffClass }, piece);
      line.appendChild(span);
    }
    for (var i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) === 10) {
        flush(i); lines.push(line); line = h("div", { class: "ln" }); runStart = i + 1; continue;
      }
      if (i > runStart && ((changedChars && changedChars[i] !== changedChars[i - 1]) || (marks && marks[i] !== marks[i - 1]))) { flush(i); runStart = i; }
    }
    flush(text.length); lines.push(line);
    return lines;
  }

  /* The text pane of one document: cleaned text with diff and artefact marks;
   * with showRemoved, the stripper's removed lines are put back where they
   * were (their line numbers index the original lines, the kept lines fill
   * the gaps in order) in strike-through with their reason. */
  function textPane(di, changedTokens, tokens, diffClass, showRemoved) {
    var text = T[D.t[di]], changedChars = null;
    if (changedTokens) {
      changedChars = new Uint8Array(text.length);
      tokens.forEach(function (t, i) { if (changedTokens[i]) changedChars.fill(1, t.at, t.at + t.s.length); });
    }
    // (A cut text keeps its first lines, so the numbering holds for what is shown.)
    var am = artefactMarks(text, D.a[di], originalLines(text, D.rm[di]), undefined,
      new Set(D.rm[di].map(function (r) { return r[0]; })));
    var lines = renderLines(text, changedChars, diffClass, D.a[di], am.marks);
    var box = h("div", { class: "text" + (showRemoved ? " with-removed" : "") });
    if (showRemoved && D.rm[di].length) {
      var removed = D.rm[di].slice().sort(function (x, y) { return x[0] - y[0]; }), r = 0, n = 1;
      lines.forEach(function (el) {
        while (r < removed.length && removed[r][0] === n) { box.appendChild(removedLine(di, removed[r])); r++; n++; }
        box.appendChild(el); n++;
      });
      if (TL[D.t[di]] && r < removed.length) box.appendChild(h("div", { class: "ln cut" }, "… text cut here in this page …"));
      for (; r < removed.length; r++) box.appendChild(removedLine(di, removed[r]));
      if (D.rmx[di]) box.appendChild(h("div", { class: "ln removed" }, "… and " + fmt(D.rmx[di]) + " more removed lines"));
    } else {
      lines.forEach(function (el) { box.appendChild(el); });
    }
    if (TL[D.t[di]] && !(showRemoved && D.rm[di].length)) box.appendChild(h("div", { class: "ln cut" }, "… cut here"));
    return { el: box, found: am.found };
  }
  function removedLine(di, r) {
    var text = S[r[1]], am = artefactMarks(text, D.a[di], null, r[0]);
    var line = h("div", { class: "ln removed", title: "removed by the stripper: " + S[r[2]] },
      h("span", { class: "reason" }, S[r[2]]));
    var content = renderLines(text, null, "", D.a[di], am.marks)[0];
    content.className = "removed-text";
    line.appendChild(content);
    return line;
  }

  function artefactList(di, found) {
    var as = D.a[di];
    if (!as.length) return null;
    return h("ul", { class: "artefacts" }, as.map(function (a, i) {
      return h("li", null,
        h("mark", { class: "art " + (kindClass.get(S[a[0]]) || "k0") }, S[a[0]]),
        h("span", { class: "muted" }, a[1] ? " line " + a[1] : " whole document"),
        " ", h("q", { class: "evidence" }, S[a[2]]),
        found && !found[i] ? h("span", { class: "muted small" }, D.rm[di].some(function (r) { return r[0] === a[1]; })
          ? " (on a removed line)" : " (not in the shown text)") : null);
    }));
  }

  function docMeta(di, simTo) {
    var tr = D.tr[di], top = D.top[di];
    return h("div", { class: "meta" },
      chip(S[D.lang[di]], "lang", top.length ? top.map(function (t) { return S[t[0]] + " " + fmtSim(t[1]); }).join(", ") : null),
      h("span", { class: "muted" }, " p=" + fmtSim(D.ls[di])),
      tr ? chip("translated from " + S[tr[0]] + " (" + fmtSim(tr[1]) + ")", "tr") : null,
      simTo !== undefined ? h("span", { class: "meta-sim" }, "similarity ", simBar(simTo)) : null,
      h("span", { class: "muted src" }, S[D.src[di][0]] + ":" + D.src[di][1]));
  }

  // ---------------------------------------------------------------- cluster view
  var showRemoved = false;
  function toggleRemoved(onChange) {
    var box = h("input", { type: "checkbox", id: "toggle-removed" });
    box.checked = showRemoved;
    box.addEventListener("change", function () { showRemoved = box.checked; onChange(); });
    return h("label", { class: "check", for: "toggle-removed" }, box, h("span", null, "show removed lines"));
  }

  function clusterView(where) {
    var ci = clusterById.get(where.args[0]);
    if (ci === undefined) {
      var di = docById.get(where.args[0]);
      if (di !== undefined && D.c[di] >= 0) { location.replace(clusterHref(D.c[di], di)); return; }
      return notFound(where);
    }
    var kept = C.kept[ci], members = C.m[ci], info = cInfo[ci];
    var others = members.filter(function (m) { return m[0] !== kept; });
    var chosen = where.args[1] !== undefined ? docById.get(where.args[1]) : undefined;
    if (chosen === undefined || chosen === kept) chosen = others.length ? others[0][0] : kept;

    app.appendChild(h("nav", { class: "crumbs" }, h("a", { href: "#clusters" }, "Clusters"), " › ", h("code", null, C.id[ci])));
    app.appendChild(h("div", { class: "cluster-head" },
      h("h1", null, kept >= 0 ? docTitle(kept) : "Cluster " + C.id[ci]),
      h("div", { class: "meta" },
        chip(fmt(C.size[ci]) + " documents", "size-chip"),
        info.langs.map(function (l) { return chip(l, "lang"); }),
        info.minSim !== null ? h("span", { class: "muted" }, "similarity " + fmtSim(info.minSim) + (info.maxSim !== info.minSim ? "–" + fmtSim(info.maxSim) : "")) : null,
        info.art ? chip(info.art + " artefacts", "warn") : null,
        info.tr ? chip(info.tr + " suspected translation" + (info.tr > 1 ? "s" : ""), "tr") : null,
        h("span", { class: "muted" }, "cluster ", h("code", null, C.id[ci])))));

    // Member table: click a row to compare it with the kept copy.
    var table = h("table", { class: "grid members" },
      h("thead", null, h("tr", null, h("th", null, ""), h("th", null, "document"), h("th", null, "lang"),
        h("th", null, "similarity"), h("th", { class: "num" }, "shared lines"), h("th", null, "flags"), h("th", null, "source"))));
    var tbody = h("tbody");
    var rowOf = new Map();
    members.slice(0, MEMBER_PAGE).forEach(function (m) {
      var di = m[0], isKept = di === kept;
      var tr = h("tr", { class: isKept ? "kept" : "", tabindex: isKept ? null : "0", "data-doc": D.id[di] },
        h("td", { class: "role-cell" }, isKept ? h("span", { class: "role role-kept" }, "kept") : h("span", { class: "role role-duplicate" }, "dup")),
        h("td", null, h("a", { href: docHref(di) }, D.id[di]), h("div", { class: "muted small clip" }, docTitle(di))),
        h("td", null, chip(S[D.lang[di]], "lang")),
        h("td", null, simBar(m[1])),
        h("td", { class: "num" }, m[2] === null ? "–" : Math.round(m[2] * 100) + "%" + (m[3] !== null ? " (" + m[3] + ")" : "")),
        h("td", null, D.a[di].length ? chip(String(D.a[di].length), "warn", "artefacts") : null, D.tr[di] ? chip("tr", "tr", "suspected translation") : null),
        h("td", { class: "muted small" }, S[D.src[di][0]] + ":" + D.src[di][1]));
      if (!isKept) {
        tr.addEventListener("click", function (e) { if (e.target.tagName !== "A") select(di); });
        tr.addEventListener("keydown", function (e) { if (e.key === "Enter") select(di); });
      }
      rowOf.set(di, tr);
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    var tableBox = h("div", { class: "card members-card" }, table,
      members.length > MEMBER_PAGE ? h("p", { class: "muted small" }, "Showing the first " + MEMBER_PAGE + " of " + fmt(members.length) + " members; open any document by id to compare it.") : null);
    app.appendChild(tableBox);

    var compare = h("div", { class: "compare" });
    app.appendChild(compare);

    function select(di) {
      chosen = di;
      history.replaceState(null, "", clusterHref(ci, di));
      drawCompare();
    }
    function step(delta) {
      var ids = others.map(function (m) { return m[0]; }).slice(0, MEMBER_PAGE);
      var at = ids.indexOf(chosen);
      if (at + delta >= 0 && at + delta < ids.length) select(ids[at + delta]);
    }
    keyHandler = function (e) {
      if (e.target.tagName === "INPUT" || e.target.tagName === "SELECT") return;
      if (e.key === "j" || e.key === "ArrowDown") { step(1); e.preventDefault(); }
      if (e.key === "k" || e.key === "ArrowUp") { step(-1); e.preventDefault(); }
    };

    function drawCompare() {
      rowOf.forEach(function (tr, di) { tr.classList.toggle("selected", di === chosen); });
      compare.textContent = "";
      var at = others.findIndex(function (m) { return m[0] === chosen; });
      var simOf = at >= 0 ? others[at][1] : SIM[chosen];
      var toolbar = h("div", { class: "toolbar" },
        others.length > 1 ? h("span", { class: "stepper" },
          h("button", { type: "button", disabled: at <= 0, onclick: function () { step(-1); }, title: "previous member (k)" }, "‹"),
          h("span", null, "member " + (at + 1) + " of " + others.length),
          h("button", { type: "button", disabled: at >= others.length - 1, onclick: function () { step(1); }, title: "next member (j)" }, "›")) : null,
        toggleRemoved(drawCompare),
        h("span", { class: "legend" }, h("span", { class: "del" }, "only in kept copy"), h("span", { class: "ins" }, "only in this member"), h("mark", { class: "art k0" }, "artefact")));
      compare.appendChild(toolbar);
      if (kept < 0) {
        compare.appendChild(h("p", { class: "notice" }, "The documents of this cluster are not in the run's documents file."));
        return;
      }
      if (chosen === kept || chosen === undefined) {
        compare.appendChild(h("div", { class: "panes one" }, pane(kept, "Kept copy", null, null, "")));
        return;
      }
      var ta = tokenize(T[D.t[kept]]), tb = tokenize(T[D.t[chosen]]);
      var diff = diffTokens(ta, tb);
      var panes = h("div", { class: "panes" },
        pane(kept, "Kept copy", diff.a, ta, "del"),
        pane(chosen, "Member", diff.b, tb, "ins", simOf));
      compare.appendChild(panes);
      if (!diff.exact) compare.appendChild(h("p", { class: "notice" }, "These texts differ too much for a word-by-word diff; the whole differing middle is marked."));
    }
    function pane(di, label, changed, tokens, cls, sim) {
      var body = textPane(di, changed, tokens, cls, showRemoved);
      return h("div", { class: "pane card" },
        h("div", { class: "pane-head" },
          h("span", { class: "pane-label " + (label === "Kept copy" ? "kept" : "") }, label),
          h("a", { href: docHref(di), class: "pane-id" }, D.id[di]),
          TL[D.t[di]] ? h("span", { class: "chip cut-chip", title: "the full text has " + fmt(TL[D.t[di]]) + " characters" }, "cut at " + fmt(T[D.t[di]].length) + " of " + fmt(TL[D.t[di]]) + " chars") : null),
        docMeta(di, sim),
        body.el,
        artefactList(di, body.found),
        D.rm[di].length && !showRemoved ? h("p", { class: "muted small" }, fmt(D.rm[di].length + D.rmx[di]) + " lines removed by the stripper") : null);
    }
    drawCompare();
  }

  // ---------------------------------------------------------------- document view
  function docView(where) {
    var id = where.args[0], di = docById.get(id);
    if (di === undefined) {
      var ri = rejectedById.get(id);
      if (ri !== undefined) return rejectedView(ri);
      var ci = clusterById.get(id);
      if (ci !== undefined) { location.replace(clusterHref(ci)); return; }
      return notFound(where);
    }
    var role = roleOf(di), cl = D.c[di];
    app.appendChild(h("nav", { class: "crumbs" }, h("a", { href: "#docs" }, "Documents"), " › ", h("code", null, D.id[di])));
    var roleLine;
    if (role === "singleton") roleLine = h("p", { class: "role-line" }, h("span", { class: "role role-singleton" }, "single"), " Not a near-duplicate of any other document.");
    else if (role === "kept") roleLine = h("p", { class: "role-line" }, h("span", { class: "role role-kept" }, "kept"),
      " Kept copy of ", h("a", { href: clusterHref(cl) }, "cluster " + C.id[cl]), " (" + fmt(C.size[cl]) + " documents).");
    else {
      var keptDi = DUP[di] >= 0 ? DUP[di] : (cl >= 0 ? C.kept[cl] : -1);
      roleLine = h("p", { class: "role-line" }, h("span", { class: "role role-duplicate" }, "dup"),
        " Duplicate of ", keptDi >= 0 ? h("a", { href: docHref(keptDi) }, D.id[keptDi]) : "(missing)",
        ", similarity " + fmtSim(SIM[di]) + ". ",
        cl >= 0 ? h("a", { class: "button", href: clusterHref(cl, di) }, "Compare with the kept copy") : null);
    }
    var fields = D.f[di];
    var textBox = h("div"), side = h("div", { class: "doc-side" });
    app.appendChild(h("div", { class: "doc-head" },
      h("h1", null, docTitle(di)),
      roleLine,
      docMeta(di)));
    app.appendChild(h("div", { class: "doc-grid" },
      h("div", { class: "card doc" },
        h("div", { class: "toolbar" }, toggleRemoved(draw),
          TL[D.t[di]] ? h("span", { class: "chip cut-chip", title: "the full text has " + fmt(TL[D.t[di]]) + " characters" }, "cut at " + fmt(T[D.t[di]].length) + " of " + fmt(TL[D.t[di]]) + " chars") : null),
        textBox),
      side));
    function draw() {
      textBox.textContent = ""; side.textContent = "";
      var pane = textPane(di, null, null, "", showRemoved);
      textBox.appendChild(pane.el);
      if (fields.length) side.appendChild(h("div", { class: "card" }, h("h2", null, "Fields"), h("table", { class: "kv fields" }, fields.map(function (f) {
        var value = S[f[1]];
        return h("tr", null, h("th", null, S[f[0]]), h("td", null, /^https?:\/\/\S+$/i.test(value) ? h("a", { href: value, rel: "noopener noreferrer nofollow", target: "_blank" }, value) : value));
      }))));
      var list = artefactList(di, pane.found);
      if (list) side.appendChild(h("div", { class: "card" }, h("h2", null, "Artefacts (" + D.a[di].length + ")"), list));
      if (D.rm[di].length) {
        side.appendChild(h("div", { class: "card" }, h("h2", null, "Removed lines (" + fmt(D.rm[di].length + D.rmx[di]) + ")"),
          h("table", { class: "grid removed-table" },
            h("thead", null, h("tr", null, h("th", { class: "num" }, "line"), h("th", null, "reason"), h("th", null, "text"))),
            h("tbody", null, D.rm[di].map(function (r) {
              return h("tr", null, h("td", { class: "num" }, String(r[0])), h("td", null, chip(S[r[2]], "reason-chip")), h("td", { class: "removed-text" }, S[r[1]]));
            })))));
      }
    }
    draw();
  }

  // ---------------------------------------------------------------- wiring
  var keyHandler = null;
  document.addEventListener("keydown", function (e) {
    if (e.key === "/" && e.target.tagName !== "INPUT") {
      var search = app.querySelector("input.search") || document.getElementById("jump-input");
      search.focus(); e.preventDefault(); return;
    }
    if (keyHandler) keyHandler(e);
  });
  document.getElementById("jump").addEventListener("submit", function (e) {
    e.preventDefault();
    var input = document.getElementById("jump-input"), id = input.value.trim();
    if (!id) return;
    if (docById.has(id) || rejectedById.has(id)) location.hash = "#doc/" + enc(id);
    else if (clusterById.has(id)) location.hash = "#cluster/" + enc(id);
    else location.hash = "#docs?q=" + enc(id);
    input.value = "";
  });
  window.addEventListener("hashchange", function () { keyHandler = null; render(); });
  render();
  document.body.setAttribute("data-ready", "1");
  }
