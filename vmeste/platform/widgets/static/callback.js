/* The end of the sign-in: the provider sent the browser here (the platform's own
   origin) with a code. Hand it to the widget that opened this window, on this origin
   only, and close. The code is useless without the verifier the widget kept. */
(function () {
  "use strict";
  var query = new URLSearchParams(window.location.search);
  var message = {
    type: "vmeste-widget:signin",
    code: query.get("code") || "",
    state: query.get("state") || "",
    error: query.get("error") || ""
  };
  if (window.opener) {
    window.opener.postMessage(message, window.location.origin);
    window.close();
  }
})();
