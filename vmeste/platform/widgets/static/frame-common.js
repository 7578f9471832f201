/* What every widget page shares, on the platform's origin inside the site's iframe:
   its configuration, the status line, the height it reports to the host page, the
   sign-in (authorization code with PKCE, through a window on the provider) and the
   GraphQL calls with the citizen's token. The token lives here (memory and this
   frame's session storage), never in the host page. Plain JavaScript, no build step. */
(function () {
  "use strict";
  var TOKEN_KEY = "vmeste-widget-token";

  window.vmesteFrame = function (changed) {
    var config = JSON.parse(document.getElementById("vw-config").textContent);
    var texts = config.texts;
    /* A browser blocking third-party storage refuses it to this frame: the token is
       then kept in memory only, and a reload of the site asks to sign in again. */
    var storage = (function () {
      try { return window.sessionStorage; } catch (refused) { return null; }
    })();
    var token = (storage && storage.getItem(TOKEN_KEY)) || "";
    var $ = function (id) { return document.getElementById(id); };
    document.documentElement.style.setProperty("--vw-accent", config.colour);

    function format(text, values) {
      return text.replace(/\{(\w+)\}/g, function (_, name) { return String(values[name]); });
    }

    function say(text, isError, element) {
      var status = element || $("vw-status");
      status.textContent = text;
      status.className = "vw-status" + (isError ? " error" : "");
    }

    /* The host page sizes the iframe to the form (loader.js checks who sends this):
       only to the site the loader reported, which the widget allows, never "*". */
    function reportHeight() {
      if (window.parent !== window && config.origin) {
        window.parent.postMessage({ type: "vmeste-widget:size", title: document.title,
                                    height: document.body.getBoundingClientRect().height },
                                  config.origin);
      }
    }
    new ResizeObserver(reportHeight).observe(document.body);

    function base64url(data) {
      var text = "";
      data.forEach(function (b) { text += String.fromCharCode(b); });
      return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    }

    function randomString(bytes) {
      return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
    }

    function signOut() {
      token = "";
      if (storage) { storage.removeItem(TOKEN_KEY); }
      changed(false);
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

    /* Counted as the widget's submission on its site (a count, not a proof). */
    function report(fields) {
      fields.origin = config.origin;
      fetch(config.submissions, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Authorization": "Bearer " + token },
        body: JSON.stringify(fields)
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
        changed(true);
      }).catch(function () { say(texts.signInFailed, true); });
    }

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
        /* Only the sign-in window this frame opened, on the platform's own origin, with
           the state this frame sent, may hand it a code. */
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

    return { config: config, texts: texts, $: $, format: format, say: say,
             randomString: randomString, graphql: graphql, report: report, signIn: signIn,
             signOut: signOut, signedIn: function () { return !!token; },
             authorization: function () { return "Bearer " + token; } };
  };
})();
