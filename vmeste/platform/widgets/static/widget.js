/* The widget's "report a problem" form, on the platform's origin inside the site's
   iframe (frame-common.js holds the sign-in and the token). Plain JavaScript, no
   build step. */
(function () {
  "use strict";
  var frame = window.vmesteFrame(function (justSignedIn) {
    show();
    if (justSignedIn) { $("vw-category").focus(); }
  });
  var config = frame.config;
  var texts = config.texts;
  var $ = frame.$;
  var format = frame.format;
  var say = frame.say;
  var randomString = frame.randomString;
  var graphql = frame.graphql;
  var point = null;
  var projection = null;

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
                                           headers: { "Authorization": frame.authorization() } })
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
      frame.report({ appealId: appeal.id });
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
    var signedIn = frame.signedIn();
    $("vw-signin").hidden = signedIn;
    $("vw-form").hidden = !signedIn;
    $("vw-done").hidden = true;
    $("vw-mine").hidden = !signedIn;
    if (signedIn) { loadMine(); }
  }

  $("vw-signin-button").addEventListener("click", frame.signIn);
  $("vw-signout").addEventListener("click", frame.signOut);
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
