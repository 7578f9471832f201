/* The widget's form, on the platform's origin inside the site's iframe. Plain
   JavaScript, no build step. The citizen's token lives here (memory and this frame's
   session storage), never in the host page. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("vw-config").textContent);
  var texts = config.texts;
  var TOKEN_KEY = "vmeste-widget-token";
  /* A browser blocking third-party storage refuses it to this frame: the token is then
     kept in memory only, and a reload of the site asks to sign in again. */
  var storage = (function () {
    try { return window.sessionStorage; } catch (refused) { return null; }
  })();
  var token = (storage && storage.getItem(TOKEN_KEY)) || "";
  var point = null;
  var projection = null;
  var $ = function (id) { return document.getElementById(id); };

  document.documentElement.style.setProperty("--vw-accent", config.colour);

  function format(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, name) { return String(values[name]); });
  }

  function say(text, isError) {
    var status = $("vw-status");
    status.textContent = text;
    status.className = "vw-status" + (isError ? " error" : "");
  }

  /* The host page sizes the iframe to the form (loader.js checks who sends this). */
  function reportHeight() {
    if (window.parent !== window && config.origin) {
      window.parent.postMessage({ type: "vmeste-widget:size", title: document.title,
                                  height: document.body.getBoundingClientRect().height },
                                config.origin);
    }
  }
  new ResizeObserver(reportHeight).observe(document.body);

  function randomString(bytes) {
    var data = crypto.getRandomValues(new Uint8Array(bytes));
    return base64url(data);
  }

  function base64url(data) {
    var text = "";
    data.forEach(function (b) { text += String.fromCharCode(b); });
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function graphql(query, variables) {
    return fetch(config.graphql, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Authorization": "Bearer " + token },
      body: JSON.stringify({ query: query, variables: variables })
    }).then(function (response) {
      if (response.status === 401) { signOut(); throw new Error("unauthenticated"); }
      return response.json();
    });
  }

  /* --- sign-in: authorization code with PKCE, through a window on the provider --- */

  function signIn() {
    var signin = config.signIn;
    if (!signin) { say(texts.signInUnavailable, true); return; }
    var verifier = randomString(32);
    var state = randomString(16);
    crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)).then(function (hash) {
      var url = new URL(signin.authorize);
      url.search = new URLSearchParams({
        response_type: "code", client_id: signin.clientId, redirect_uri: signin.redirectUri,
        scope: "openid", state: state, code_challenge: base64url(new Uint8Array(hash)),
        code_challenge_method: "S256", ui_locales: document.documentElement.lang
      }).toString();
      var popup = window.open(url.toString(), "vmeste-signin", "width=520,height=640");
      if (!popup) { say(texts.popupBlocked, true); return; }
      say(texts.signingIn);
      function received(event) {
        var data = event.data || {};
        if (event.origin !== window.location.origin || event.source !== popup ||
            data.type !== "vmeste-widget:signin") { return; }
        window.removeEventListener("message", received);
        if (data.error || data.state !== state) { say(texts.signInFailed, true); return; }
        exchange(signin, data.code, verifier);
      }
      window.addEventListener("message", received);
    });
  }

  function exchange(signin, code, verifier) {
    fetch(signin.token, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "authorization_code", code: code,
                                  redirect_uri: signin.redirectUri, client_id: signin.clientId,
                                  code_verifier: verifier }).toString()
    }).then(function (response) {
      if (!response.ok) { throw new Error("token"); }
      return response.json();
    }).then(function (answer) {
      token = answer.id_token || answer.access_token;
      if (storage) { storage.setItem(TOKEN_KEY, token); }
      say("");
      show();
      $("vw-category").focus();
    }).catch(function () { say(texts.signInFailed, true); });
  }

  function signOut() {
    token = "";
    if (storage) { storage.removeItem(TOKEN_KEY); }
    show();
  }

  /* --- the map: the territory's boundary as SVG, a point by click or keys --- */

  function rings(geometry) {
    if (!geometry) { return []; }
    if (geometry.type === "Polygon") { return geometry.coordinates; }
    if (geometry.type === "MultiPolygon") {
      return geometry.coordinates.reduce(function (all, p) { return all.concat(p); }, []);
    }
    return [];
  }

  function drawMap(map) {
    var all = rings(map.boundary);
    map.areas.forEach(function (area) { all = all.concat(rings(area.boundary)); });
    if (!all.length) { return; }
    var xs = [], ys = [];
    all.forEach(function (ring) { ring.forEach(function (c) { xs.push(c[0]); ys.push(c[1]); }); });
    var west = Math.min.apply(null, xs), east = Math.max.apply(null, xs);
    var south = Math.min.apply(null, ys), north = Math.max.apply(null, ys);
    var k = Math.cos((north + south) / 2 * Math.PI / 180);
    var width = 400, height = 300, pad = 10;
    var scale = Math.min((width - 2 * pad) / ((east - west) * k || 1),
                         (height - 2 * pad) / ((north - south) || 1));
    /* Centred: the territory's shape keeps its proportions in the 4:3 box. */
    var left = (width - (east - west) * k * scale) / 2;
    var bottom = (height - (north - south) * scale) / 2;
    projection = {
      toXY: function (lon, lat) {
        return [left + (lon - west) * k * scale, height - bottom - (lat - south) * scale];
      },
      toLonLat: function (x, y) {
        return [west + (x - left) / (k * scale), south + (height - bottom - y) / scale];
      },
      step: Math.max(east - west, north - south) / 40,
      centre: [(west + east) / 2, (south + north) / 2]
    };
    var svg = $("vw-map-svg");
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    function path(ring, cls) {
      var d = ring.map(function (c, i) {
        var xy = projection.toXY(c[0], c[1]);
        return (i ? "L" : "M") + xy[0].toFixed(1) + " " + xy[1].toFixed(1);
      }).join("") + "Z";
      var element = document.createElementNS("http://www.w3.org/2000/svg", "path");
      element.setAttribute("d", d);
      element.setAttribute("class", cls);
      svg.appendChild(element);
    }
    map.areas.forEach(function (area) {
      rings(area.boundary).forEach(function (ring) { path(ring, "area"); });
    });
    rings(map.boundary).forEach(function (ring) { path(ring, "outline"); });
    var marker = document.createElementNS("http://www.w3.org/2000/svg", "circle");
    marker.setAttribute("r", "6");
    marker.setAttribute("class", "marker");
    marker.setAttribute("visibility", "hidden");
    marker.id = "vw-marker";
    svg.appendChild(marker);
    svg.addEventListener("click", function (event) {
      var box = svg.getBoundingClientRect();
      var x = (event.clientX - box.left) * width / box.width;
      var y = (event.clientY - box.top) * height / box.height;
      place(projection.toLonLat(x, y));
    });
    svg.addEventListener("keydown", function (event) {
      var moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
      var current = point || projection.centre;
      if (moves[event.key]) {
        event.preventDefault();
        var m = moves[event.key];
        place([current[0] + m[0] * projection.step, current[1] + m[1] * projection.step]);
      } else if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        place(current);
      }
    });
    $("vw-map").hidden = false;
  }

  function place(lonLat) {
    point = lonLat;
    var xy = projection.toXY(lonLat[0], lonLat[1]);
    var marker = $("vw-marker");
    marker.setAttribute("cx", xy[0].toFixed(1));
    marker.setAttribute("cy", xy[1].toFixed(1));
    marker.setAttribute("visibility", "visible");
    $("vw-point").textContent = format(texts.pointPlaced,
                                       { lat: lonLat[1].toFixed(5), lon: lonLat[0].toFixed(5) });
  }

  /* --- sending --- */

  var SUBMIT = "mutation($input: SubmitAppealInput!) { submitAppeal(input: $input) { " +
    "appeal { id number status } userErrors { field code message } } }";
  var MINE = "{ myAppeals(last: 10) { edges { node { id number status } } } }";

  function uploadPhoto() {
    var file = config.attachments && $("vw-photo").files[0];
    if (!file) { return Promise.resolve([]); }
    if (file.size > config.attachments.maxBytes) {
      return Promise.reject(new Error(format(texts.photoTooLarge,
        { limit: Math.floor(config.attachments.maxBytes / 1048576) })));
    }
    say(texts.uploading);
    var body = new FormData();
    body.append("file", file);
    return fetch(config.attachments.url, { method: "POST", body: body,
                                           headers: { "Authorization": "Bearer " + token } })
      .then(function (response) {
        return response.json().then(function (answer) {
          if (response.status !== 201) {
            throw new Error((answer.errors && answer.errors[0].message) || texts.network);
          }
          return [answer.id];
        });
      });
  }

  function submit(event) {
    event.preventDefault();
    var text = $("vw-text").value.trim();
    if (text.length < 10) {
      say(texts.textRequired, true);
      $("vw-text").setAttribute("aria-invalid", "true");
      $("vw-text").focus();
      return;
    }
    $("vw-text").removeAttribute("aria-invalid");
    $("vw-submit").disabled = true;
    uploadPhoto().then(function (attachmentIds) {
      say(texts.sending);
      var input = {
        text: text, categoryCode: $("vw-category").value, channel: "WIDGET",
        territoryCode: config.territoryCode, address: $("vw-address").value.trim(),
        idempotencyKey: "widget-" + randomString(12)
      };
      if (config.organizationOgrn) { input.targetOrganizationOgrn = config.organizationOgrn; }
      if (point) { input.longitude = point[0]; input.latitude = point[1]; }
      if (attachmentIds.length) { input.attachmentIds = attachmentIds; }
      return graphql(SUBMIT, { input: input });
    }).then(function (body) {
      var payload = body.data && body.data.submitAppeal;
      if (!payload) { throw new Error((body.errors && body.errors[0].message) || texts.network); }
      if (payload.userErrors.length) { throw new Error(payload.userErrors[0].message); }
      var appeal = payload.appeal;
      report(appeal.id);
      $("vw-form").reset();
      $("vw-form").hidden = true;
      $("vw-done").hidden = false;
      say(format(texts.sent, { number: appeal.number, status: config.statuses[appeal.status] }));
      $("vw-new").focus();
      loadMine();
    }).catch(function (error) {
      if (error.message !== "unauthenticated") {
        say(format(texts.failed, { reason: error.message || texts.network }), true);
      }
    }).finally(function () { $("vw-submit").disabled = false; });
  }

  /* Counted as the widget's submission on its site (a count, not a proof). */
  function report(appealId) {
    fetch(config.submissions, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Authorization": "Bearer " + token },
      body: JSON.stringify({ appealId: appealId, origin: config.origin })
    });
  }

  function loadMine() {
    graphql(MINE, {}).then(function (body) {
      var list = $("vw-mine-list");
      list.textContent = "";
      var edges = (body.data && body.data.myAppeals.edges) || [];
      if (!edges.length) {
        var empty = document.createElement("li");
        empty.textContent = texts.noAppeals;
        list.appendChild(empty);
      }
      edges.slice().reverse().forEach(function (edge) {
        var item = document.createElement("li");
        item.textContent = format(texts.appealLine, { number: edge.node.number,
                                                      status: config.statuses[edge.node.status] });
        list.appendChild(item);
      });
    }).catch(function () { /* the status line already says what went wrong */ });
  }

  function show() {
    $("vw-signin").hidden = !!token;
    $("vw-form").hidden = !token;
    $("vw-done").hidden = true;
    $("vw-mine").hidden = !token;
    if (token) { loadMine(); }
  }

  $("vw-signin-button").addEventListener("click", signIn);
  $("vw-signout").addEventListener("click", signOut);
  $("vw-form").addEventListener("submit", submit);
  $("vw-new").addEventListener("click", function () {
    $("vw-done").hidden = true;
    $("vw-form").hidden = false;
    say("");
    $("vw-category").focus();
  });
  $("vw-photo").addEventListener("change", function () {
    var file = this.files[0];
    var preview = $("vw-photo-preview");
    preview.hidden = !file;
    if (file) { preview.src = URL.createObjectURL(file); }
  });
  if (config.attachments) {
    $("vw-photo").setAttribute("accept", config.attachments.types.join(","));
    $("vw-photo-field").hidden = false;
  }
  fetch(config.map).then(function (r) { return r.json(); }).then(drawMap).catch(function () {});
  show();
})();
