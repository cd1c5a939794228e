/* Word-level diff of two texts (part of the review page's inline script). */
  var DIFF_MAX_TOKENS = 4000; // per side, after trimming the common ends
  var DIFF_MAX_EDITS = 800;   // Myers gives up past this many edits

  // ---------------------------------------------------------------- diff
  /* Word-level diff: tokens are words, single punctuation marks and runs of
   * space; Myers' O(ND) algorithm on them after trimming the common ends.
   * Near-duplicates differ in few words, so D is small and this is fast; past
   * the caps the middle is simply marked as changed. */
  var TOKEN = /[\p{L}\p{M}\p{N}_]+|\s+|[^\p{L}\p{M}\p{N}_\s]/gu;
  function tokenize(text) {
    var tokens = [], m;
    TOKEN.lastIndex = 0;
    while ((m = TOKEN.exec(text))) tokens.push({ s: m[0], at: m.index, key: /^\s/.test(m[0]) ? " " : m[0] });
    return tokens;
  }
  function myers(a, b, lo, hiA, hiB) {
    var n = hiA - lo.a, m = hiB - lo.b, max = n + m, off = max + 1;
    var v = new Int32Array(2 * max + 3), trace = [];
    for (var d = 0; d <= Math.min(max, DIFF_MAX_EDITS); d++) {
      trace.push(v.slice());
      for (var k = -d; k <= d; k += 2) {
        var x = (k === -d || (k !== d && v[off + k - 1] < v[off + k + 1])) ? v[off + k + 1] : v[off + k - 1] + 1;
        var y = x - k;
        while (x < n && y < m && a[lo.a + x].key === b[lo.b + y].key) { x++; y++; }
        v[off + k] = x;
        if (x >= n && y >= m) return backtrack(trace, off, n, m);
      }
    }
    return null;
  }
  function backtrack(trace, off, n, m) {
    var x = n, y = m, delA = [], insB = [];
    for (var d = trace.length - 1; d >= 0; d--) {
      var v = trace[d], k = x - y;
      var pk = (k === -d || (k !== d && v[off + k - 1] < v[off + k + 1])) ? k + 1 : k - 1;
      var px = v[off + pk], py = px - pk;
      while (x > px && y > py) { x--; y--; }
      if (d > 0) { if (x === px) insB.push(y - 1); else delA.push(x - 1); }
      x = px; y = py;
    }
    return { delA: delA, insB: insB };
  }
  /* Returns per-token flags: changedA[i], changedB[j] (1 = not in the other text), and whether the diff was exact. */
  function diffTokens(a, b) {
    var changedA = new Uint8Array(a.length), changedB = new Uint8Array(b.length);
    var start = 0;
    while (start < a.length && start < b.length && a[start].key === b[start].key) start++;
    var endA = a.length, endB = b.length;
    while (endA > start && endB > start && a[endA - 1].key === b[endB - 1].key) { endA--; endB--; }
    var exact = true, result = null;
    if (endA - start <= DIFF_MAX_TOKENS && endB - start <= DIFF_MAX_TOKENS) result = myers(a, b, { a: start, b: start }, endA, endB);
    if (result) {
      result.delA.forEach(function (i) { changedA[start + i] = 1; });
      result.insB.forEach(function (j) { changedB[start + j] = 1; });
    } else {
      exact = false;
      for (var i = start; i < endA; i++) changedA[i] = 1;
      for (var j = start; j < endB; j++) changedB[j] = 1;
    }
    smoothSpaces(a, changedA); smoothSpaces(b, changedB);
    return { a: changedA, b: changedB, exact: exact };
  }
  // A space counts as changed only between two changed words, so highlights read as phrases.
  function smoothSpaces(tokens, changed) {
    for (var i = 0; i < tokens.length; i++) {
      if (tokens[i].key !== " ") continue;
      changed[i] = (i > 0 && changed[i - 1] && i + 1 < tokens.length && changed[i + 1]) ? 1 : 0;
    }
  }

