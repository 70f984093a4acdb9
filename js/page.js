// The escrow pages' script: builds an entry in the browser (js/escrow.js) so the server
// never receives an identifier or an OPRF output, and opens the author's own list of whom
// they named. Without JavaScript the pages work as plain forms (the server construction).

import { blind, derive, finalizeTwoHop, payload, seal, sealTo, unseal } from "./escrow.js";
import { IdentifierError, blank, normalize } from "./identifiers.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const fromB64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const toB64 = (bytes) => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(""));

class Refused extends Error {}

/** Run on every page that carries the escrow setup (see escrow/new.html, entry.html). */
export function start(document) {
  const element = document.getElementById("escrow-setup");
  if (!element) return;
  const setup = JSON.parse(element.textContent);
  revealCopies(document, setup);
  const form = document.getElementById("escrow-form");
  if (form && setup.platformKey && setup.custodianKey && setup.teamKey) wireForm(document, form, setup);
}

// ---- the author's own list, sealed in the browser under their copy key ---------------

function revealCopies(document, setup) {
  for (const element of document.querySelectorAll("[data-escrow-copy]")) {
    let named;
    try {
      const blob = fromB64(element.dataset.escrowCopy);
      named = JSON.parse(decoder.decode(unseal(fromB64(setup.copyKey), blob, setup.copyContext)));
    } catch {
      element.textContent = setup.text.unreadable;
      continue;
    }
    if (element.dataset.escrowCopyFormat === "inline") {
      element.textContent = named.map((item) => item.text).join(", ");
    } else {
      element.replaceWith(
        ...named.map((item) => {
          const line = document.createElement(element.tagName);
          line.textContent = `${setup.labels[item.kind] || item.kind}: ${item.text}`;
          return line;
        }),
      );
    }
  }
}

// ---- the entry form -------------------------------------------------------------------

function wireForm(document, form, setup) {
  const mode = document.getElementById("escrow-mode");
  const statement = document.createElement("p");
  statement.textContent = mode.dataset.browserText;
  mode.replaceChildren(statement);
  mode.dataset.construction = "browser";
  const button = form.querySelector("button[type=submit]");
  const progress = document.getElementById("escrow-progress");
  const alerts = document.getElementById("escrow-errors");
  let busy = false;
  form.addEventListener("submit", async (event) => {
    const rows = identifierRows(form);
    if (rows.every((row) => blank(setup.rules, row.input.value))) return; // nothing named: the server explains
    event.preventDefault();
    if (busy) return;
    busy = true;
    button.disabled = true;
    alerts.replaceChildren();
    try {
      await submit(form, setup, rows, (text) => (progress.textContent = text));
    } catch (error) {
      progress.textContent = "";
      const notice = document.createElement("div");
      notice.className = "notice notice-error";
      for (const message of error instanceof Refused ? error.message.split("\n") : [setup.text.failed]) {
        const line = document.createElement("p");
        line.textContent = message;
        notice.append(line);
      }
      alerts.replaceChildren(notice);
      if (!(error instanceof Refused)) console.error(error);
    } finally {
      busy = false;
      button.disabled = false;
    }
  });
}

function identifierRows(form) {
  return Array.from(form.querySelectorAll("[data-row]"), (row) => ({
    kind: row.querySelector("select").value,
    input: row.querySelector("input"),
    error: row.querySelector("[data-row-error]"),
  }));
}

/** Normalize each written row; mark the rows at fault (and refuse), or give the canonical
 * forms and the rows as written (for the author's own list). */
function canonicalForms(rows, setup) {
  const canonical = [];
  const named = [];
  let firstBad = null;
  for (const row of rows) {
    row.error.hidden = true;
    row.input.removeAttribute("aria-invalid");
    if (blank(setup.rules, row.input.value)) continue;
    const text = row.input.value.trim();
    named.push({ kind: row.kind, text });
    try {
      const value = normalize(setup.rules, row.kind, row.input.value, setup.region);
      if (!canonical.includes(value)) canonical.push(value);
    } catch (error) {
      if (!(error instanceof IdentifierError)) throw error;
      row.error.textContent = error.message;
      row.error.hidden = false;
      row.input.setAttribute("aria-invalid", "true");
      firstBad = firstBad || row;
    }
  }
  // Identifier 1 is the one required; said on its row here, since the rows below it
  // (which the server must never read when JavaScript is on) are not sent to be refused.
  const first = rows[0];
  if (first && blank(setup.rules, first.input.value)) {
    first.error.textContent = setup.text.firstRequired;
    first.error.hidden = false;
    first.input.setAttribute("aria-invalid", "true");
    firstBad = first;
  }
  if (firstBad) {
    firstBad.input.focus();
    throw new Refused(setup.text.checkRows);
  }
  return { canonical, named };
}

async function submit(form, setup, rows, say) {
  const { canonical, named } = canonicalForms(rows, setup);
  say(setup.text.sealing);
  const inputs = canonical.map((value) => encoder.encode(value));
  const blinded = inputs.map((input) => blind(input));
  const token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const response = await fetch(form.dataset.evaluateUrl, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": token },
    body: JSON.stringify({ blinded: blinded.map((item) => toB64(item.blinded)) }),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Refused(answer.error || setup.text.failed);
  let outputs;
  try {
    outputs = finalizeTwoHop(
      inputs,
      blinded.map((item) => item.blind),
      {
        blinded: blinded.map((item) => item.blinded),
        byPlatform: answer.byPlatform.map(fromB64),
        platformKey: fromB64(setup.platformKey),
        platformProof: fromB64(answer.platformProof),
        byCustodian: answer.byCustodian.map(fromB64),
        custodianKey: fromB64(setup.custodianKey),
        custodianProof: fromB64(answer.custodianProof),
      },
    );
  } catch {
    throw new Refused(setup.text.unverified);
  }
  const releasedKey = crypto.getRandomValues(new Uint8Array(32));
  const author = fromB64(setup.author);
  const teamKey = fromB64(setup.teamKey);
  const shares = canonical.map((identifier, i) => {
    const derived = derive(outputs[i], setup.organization, setup.k);
    const content = encoder.encode(JSON.stringify({ identifier, released: toB64(releasedKey) }));
    return { tag: toB64(derived.tag), sealed: toB64(sealTo(teamKey, payload(derived, author, content))) };
  });
  const copy = seal(fromB64(setup.copyKey), encoder.encode(JSON.stringify(named)), setup.copyContext);

  const data = new FormData(form);
  for (const key of Array.from(data.keys())) if (/^(kind|text)_\d+$/.test(key)) data.delete(key);
  data.set("construction", "browser");
  data.set("k", String(setup.k));
  data.set("team_key", setup.teamKey);
  data.set("released_key", toB64(releasedKey));
  data.set("named_copy", toB64(copy));
  data.set("shares", JSON.stringify(shares));
  say(setup.text.sending);
  // Not following the redirect here leaves the confirmation for the page we go to next.
  const posted = await fetch(form.action, { method: "POST", body: data, credentials: "same-origin", redirect: "manual" });
  if (posted.type === "opaqueredirect") {
    window.location.assign(form.dataset.doneUrl);
    return;
  }
  if (!posted.ok) throw new Refused(setup.text.failed);
  const page = new DOMParser().parseFromString(await posted.text(), "text/html");
  const reasons = Array.from(page.querySelectorAll("#escrow-errors p, .field .error"), (e) => e.textContent.trim());
  throw new Refused(reasons.filter(Boolean).join("\n") || setup.text.failed);
}
