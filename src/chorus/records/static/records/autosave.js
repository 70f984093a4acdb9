// Keeps what the survivor is typing as an encrypted draft, a few seconds after they pause.
// Without JavaScript the form still works: nothing is kept until "Save" is pressed.
(function () {
  "use strict";
  var form = document.getElementById("record-form");
  if (!form || !window.fetch || !window.FormData) { return; }
  var status = document.getElementById("draft-status");
  var url = form.getAttribute("data-draft-url");
  var timer = null;
  var dirty = false;

  // The words come from the page, in its language (data-say-* on the form).
  function say(which, time) {
    var text = form.getAttribute("data-say-" + which) || "";
    if (status) { status.textContent = text.replace("%(time)s", time || ""); }
  }

  function payload() {
    var data = new FormData(form);
    data.delete("attachment");
    return data;
  }

  function save(keepalive) {
    if (!dirty) { return; }
    dirty = false;
    var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    fetch(url, {
      method: "POST", body: payload(), credentials: "same-origin", keepalive: !!keepalive,
      headers: { "X-CSRFToken": token }
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (body) {
      if (!body.saved) {  // a new record with nothing in it yet: nothing kept, nothing to say
        if (status) { status.textContent = ""; }
        return;
      }
      var when = new Date(body.saved_at);
      say("kept", when.toLocaleTimeString(document.documentElement.lang || [], { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }));
      form.setAttribute("data-draft-saved", body.saved_at);
      if (body.record_url) {
        // The first words of a new record created it: from now on this page is that record's.
        url = body.draft_url;
        form.setAttribute("data-draft-url", url);
        form.setAttribute("action", body.record_url);
        if (window.history && window.history.replaceState) { window.history.replaceState(null, "", body.record_url); }
      }
    }).catch(function () {
      dirty = true;
      say("failed");
    });
  }

  form.addEventListener("input", function (event) {
    if (event.target && event.target.name === "attachment") { return; }
    dirty = true;
    say("typing");
    window.clearTimeout(timer);
    timer = window.setTimeout(save, 1500);
  });
  // Text typed before this script ran (or restored by the browser) counts as typing too.
  Array.prototype.forEach.call(form.querySelectorAll("textarea, input[type=text]"), function (field) {
    if (field.value !== field.defaultValue) { dirty = true; }
  });
  if (dirty) { timer = window.setTimeout(save, 1500); }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { save(true); }
  });
  form.addEventListener("submit", function () { dirty = false; window.clearTimeout(timer); });
}());
