/* DOM and formatting helpers of the review page (part of its one inline script).
 *
 * Every element is made with createElement and every piece of data goes in
 * as a text node or through setAttribute: never innerHTML. Links may only
 * point inside the page (#...) or to http(s) URLs.
 */
  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        var value = attrs[key];
        if (value === null || value === undefined || value === false) return;
        if (key === "class") el.className = value;
        else if (key === "text") el.textContent = value;
        else if (key === "href") el.setAttribute("href", safeHref(value));
        else if (key.slice(0, 2) === "on") el.addEventListener(key.slice(2), value);
        else el.setAttribute(key, value === true ? "" : String(value));
      });
    }
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  function append(el, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { append(el, c); }); return; }
    el.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
  function safeHref(url) {
    url = String(url);
    if (url.charAt(0) === "#") return url;
    return /^https?:\/\//i.test(url) ? url : "#";
  }
  function fmt(n) { return n === null || n === undefined ? "–" : Number(n).toLocaleString("en-US"); }
  function fmtSim(x) { return x === null || x === undefined ? "–" : x.toFixed(3); }
  function enc(id) { return encodeURIComponent(id); }
  function chip(text, cls, title) { return h("span", { class: "chip " + (cls || ""), title: title }, text); }

  function countBy(values) {
    var counts = new Map();
    values.forEach(function (v) { counts.set(v, (counts.get(v) || 0) + 1); });
    return Array.from(counts.entries()).sort(function (a, b) { return b[1] - a[1] || (a[0] < b[0] ? -1 : 1); });
  }
