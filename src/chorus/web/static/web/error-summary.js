// The error summary at the top of a refused form (web/form_errors.html). Its autofocus
// attribute gives it focus without JavaScript; this makes sure of it, and makes each of its
// links put focus in the field it names (a link to a fragment only scrolls there), with the
// field's label or legend in view above it, as the GOV.UK error summary does.
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (!summary) { return; }
  if (document.activeElement === document.body || document.activeElement === null) { summary.focus(); }
  summary.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[href^='#']") : null;
    if (!link) { return; }
    var field = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
    if (!field) { return; }
    event.preventDefault();
    var group = field.closest("fieldset");
    var caption = group ? group.querySelector("legend") : document.querySelector("label[for='" + field.id + "']");
    (caption || field).scrollIntoView();
    field.focus({ preventScroll: true });
  });
}());
