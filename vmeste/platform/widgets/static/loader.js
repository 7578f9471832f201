/* Vmeste's site widget loader: plain JavaScript, no build step.
   Embed with
     <script src="https://PLATFORM/widgets/loader.js" data-widget="PUBLIC_KEY" async></script>
   It puts the widget's iframe where the script stands (or into the element named by
   data-target), sized to its form. The form runs on the platform's origin: nothing of
   the citizen's sign-in ever reaches this page. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.getAttribute("data-widget")) { return; }
  var platform = new URL(script.src).origin;
  var key = script.getAttribute("data-widget");
  var query = new URLSearchParams({ origin: window.location.origin });
  var lang = script.getAttribute("data-lang") || navigator.language || "";
  if (lang) { query.set("lang", lang); }
  var frame = document.createElement("iframe");
  frame.src = platform + "/widgets/" + encodeURIComponent(key) + "/frame?" + query.toString();
  frame.title = script.getAttribute("data-title") || "Vmeste";
  frame.loading = "lazy";
  /* The platform counts an open only for the origin this request's Referer names. */
  frame.referrerPolicy = "origin";
  frame.setAttribute("allow", "");
  frame.style.cssText = "display:block;width:100%;max-width:" +
    (script.getAttribute("data-max-width") || "40rem") + ";height:" +
    (script.getAttribute("data-height") || "40rem") + ";border:0;";
  var target = script.getAttribute("data-target");
  var place = target && document.getElementById(target);
  if (place) { place.appendChild(frame); } else { script.parentNode.insertBefore(frame, script); }
  window.addEventListener("message", function (event) {
    var data = event.data || {};
    if (event.origin !== platform || event.source !== frame.contentWindow ||
        data.type !== "vmeste-widget:size") { return; }
    if (typeof data.height === "number" && data.height > 0) {
      frame.style.height = Math.min(Math.ceil(data.height), 4000) + "px";
    }
    if (typeof data.title === "string" && data.title) { frame.title = data.title.slice(0, 200); }
  });
})();
