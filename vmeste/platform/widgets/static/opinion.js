/* The "give an opinion" widget: the open polls and votes, each a form rendered on the
   server with its labels; this script shows the questions a condition asks for,
   gathers the answers and sends them through submitPollResponse and castBallot with
   the citizen's sign-in (frame-common.js), and shows the platform's typed refusals
   (not eligible, already answered, closed) as they come. */
(function () {
  "use strict";
  var frame = window.vmesteFrame(function (justSignedIn) {
    show();
    var first = document.querySelector(".vw-opinion input, .vw-opinion select");
    if (justSignedIn && first) { first.focus(); }
  });
  var texts = frame.texts;
  var RESPOND = "mutation($input: SubmitPollResponseInput!) { submitPollResponse(" +
    "input: $input) { response { id } userErrors { field code message } } }";
  var CAST = "mutation($input: CastBallotInput!) { castBallot(input: $input) { " +
    "ballot { id receipt } userErrors { field code message } } }";

  function checked(scope, name) {
    return Array.prototype.slice.call(scope.querySelectorAll("input[name='" + name + "']"))
      .filter(function (input) { return input.checked; })
      .map(function (input) { return input.value; });
  }

  /* One question's answer, or null when it is not answered. */
  function answerOf(fieldset) {
    var id = Number(fieldset.getAttribute("data-question"));
    var name = "q" + id;
    var kind = fieldset.getAttribute("data-kind");
    var answer = { questionId: id };
    if (kind === "single" || kind === "multiple") {
      answer.choiceKeys = checked(fieldset, name);
      return answer.choiceKeys.length ? answer : null;
    }
    if (kind === "scale") {
      var value = checked(fieldset, name);
      return value.length ? { questionId: id, value: Number(value[0]) } : null;
    }
    if (kind === "text") {
      var text = fieldset.querySelector("textarea").value.trim();
      return text ? { questionId: id, text: text } : null;
    }
    if (kind === "ranking") {
      var placed = Array.prototype.slice.call(fieldset.querySelectorAll("select"))
        .filter(function (select) { return select.value; })
        .sort(function (a, b) { return Number(a.value) - Number(b.value); })
        .map(function (select) { return select.getAttribute("data-key"); });
      return placed.length ? { questionId: id, ranking: placed } : null;
    }
    var cells = [];
    fieldset.querySelectorAll(".vw-row").forEach(function (row) {
      var key = row.getAttribute("data-row");
      var choice = checked(row, name + "-" + key);
      if (choice.length) { cells.push({ row: key, choiceKey: choice[0] }); }
    });
    return cells.length ? { questionId: id, matrix: cells } : null;
  }

  /* A question shown only when an earlier choice question was answered so. */
  function applyConditions(form) {
    form.querySelectorAll(".vw-question[data-show-position]").forEach(function (fieldset) {
      var source = form.querySelector(".vw-question[data-position='" +
        fieldset.getAttribute("data-show-position") + "']");
      var wanted = fieldset.getAttribute("data-show-any").split(" ");
      var given = source ? checked(source, "q" + source.getAttribute("data-question")) : [];
      fieldset.hidden = !given.some(function (key) { return wanted.indexOf(key) >= 0; });
    });
  }

  function pollInput(form) {
    var answers = [];
    var missing = null;
    form.querySelectorAll(".vw-question").forEach(function (fieldset) {
      if (fieldset.hidden) { return; }
      var answer = answerOf(fieldset);
      fieldset.removeAttribute("aria-invalid");
      if (answer) { answers.push(answer); } else if (fieldset.hasAttribute("data-required")) {
        fieldset.setAttribute("aria-invalid", "true");
        missing = missing || fieldset;
      }
    });
    if (missing) {
      var input = missing.querySelector("input, select, textarea");
      if (input) { input.focus(); }
      throw new Error(texts.answerRequired);
    }
    return { pollId: form.getAttribute("data-poll"), answers: answers,
             idempotencyKey: "widget-" + frame.randomString(12) };
  }

  function ballotInput(form) {
    var choices = [];
    form.querySelectorAll("input").forEach(function (input) {
      if (input.type === "number") {
        var points = Number(input.value);
        if (points > 0) { choices.push({ optionId: input.getAttribute("data-option"),
                                         points: points }); }
      } else if (input.checked) {
        choices.push({ optionId: input.value });
      }
    });
    if (!choices.length) { throw new Error(texts.chooseSomething); }
    return { voteId: form.getAttribute("data-vote"), choices: choices,
             idempotencyKey: "widget-" + frame.randomString(12) };
  }

  function done(form, text) {
    var status = form.querySelector(".vw-status");
    form.setAttribute("data-done", "");
    form.querySelectorAll("fieldset, button").forEach(function (part) { part.hidden = true; });
    frame.say(text, false, status);
    status.setAttribute("tabindex", "-1");
    status.focus();
  }

  function submit(event) {
    event.preventDefault();
    var form = event.target;
    var status = form.querySelector(".vw-status");
    var isPoll = form.hasAttribute("data-poll");
    var input;
    try { input = isPoll ? pollInput(form) : ballotInput(form); } catch (problem) {
      frame.say(problem.message, true, status);
      return;
    }
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    frame.say(texts.sending, false, status);
    frame.graphql(isPoll ? RESPOND : CAST, { input: input }).then(function (body) {
      var payload = body.data && (isPoll ? body.data.submitPollResponse : body.data.castBallot);
      if (!payload) { throw new Error((body.errors && body.errors[0].message) || texts.network); }
      if (payload.userErrors.length) { throw new Error(payload.userErrors[0].message); }
      if (isPoll) {
        frame.report({ pollResponseId: payload.response.id });
        done(form, texts.answered);
      } else {
        frame.report({ ballotId: payload.ballot.id, receipt: payload.ballot.receipt });
        done(form, frame.format(texts.voted, { receipt: payload.ballot.receipt }));
      }
    }).catch(function (problem) {
      if (problem.message !== "unauthenticated") {
        frame.say(frame.format(texts.refused, { reason: problem.message || texts.network }),
                  true, status);
      }
    }).finally(function () { button.disabled = false; });
  }

  function show() {
    var signedIn = frame.signedIn();
    frame.$("vw-signin").hidden = signedIn;
    frame.$("vw-signout-line").hidden = !signedIn;
    document.querySelectorAll(".vw-opinion:not([data-done]) button[type=submit]").forEach(function (button) {
      button.hidden = !signedIn;
    });
  }

  document.querySelectorAll(".vw-opinion").forEach(function (form) {
    form.addEventListener("submit", submit);
    form.addEventListener("change", function () { applyConditions(form); });
    applyConditions(form);
  });
  frame.$("vw-signin-button").addEventListener("click", frame.signIn);
  frame.$("vw-signout").addEventListener("click", frame.signOut);
  show();
})();
