// On every page a signed-in member sees (web/base.html carries #ledger-check-text): check
// the organization's log (log_check.js) at most once every ten minutes per browser, silently
// while it holds. A failure is kept and shown at the top of every page until a check passes
// again; the ledger page checks on every visit and says what the check found.

import { checkLog, fetchJson } from "./log_check.js";

export const INTERVAL = 10 * 60 * 1000;
const lastKey = (origin) => `chorus.ledger.last:${origin}`;

function read(storage, key) {
  try {
    return JSON.parse(storage.getItem(key) ?? "null");
  } catch {
    return null;
  }
}

function showWarning(document, texts, problem) {
  const warning = texts.content.querySelector("[data-ledger-warning]").cloneNode(true);
  warning.id = "ledger-warning";
  warning.setAttribute("role", "alert");
  warning.querySelector("[data-problem]").textContent = problem;
  const current = document.getElementById("ledger-warning");
  if (current) current.replaceWith(warning);
  else document.getElementById("main").prepend(warning);
}

function hideWarning(document) {
  document.getElementById("ledger-warning")?.remove();
}

function message(template, name, values) {
  const element = template.content.querySelector(`[data-message="${name}"]`);
  return Object.entries(values).reduce((text, [key, value]) => text.replaceAll(`{${key}}`, value), element.textContent.trim());
}

// The ledger page's own line about the check (ledger/ledger.html).
function report(document, result) {
  const line = document.getElementById("ledger-browser-check");
  const template = document.getElementById("ledger-browser-check-text");
  if (!line || !template) return;
  const language = document.documentElement.lang || undefined;
  let text;
  if (result.unavailable) text = message(template, "unavailable", {});
  else if (!result.ok) text = message(template, "failed", {});
  else if (!result.size) text = message(template, "none", {});
  else {
    const form = new Intl.PluralRules(language).select(result.size) === "one" ? "ok-one" : "ok-other";
    // As the server writes dates (chorus/config/formats): English day first ("28 November
    // 2026"), and the 24-hour clock in every language.
    const locale = language === "en" ? "en-GB" : language;
    const date = new Intl.DateTimeFormat(locale, { dateStyle: "long", timeStyle: "short", hourCycle: "h23" });
    text = message(template, form, {
      count: new Intl.NumberFormat(language).format(result.size),
      date: date.format(new Date(result.witnessedAt * 1000)),
    });
  }
  line.textContent = text;
  line.dataset.result = result.unavailable ? "unavailable" : result.ok ? "ok" : "failed";
}

export async function start(document, window) {
  const texts = document.getElementById("ledger-check-text");
  if (!texts || !texts.dataset.origin) return;
  let storage;
  try {
    storage = window.localStorage;
    storage.getItem(lastKey(texts.dataset.origin));
  } catch {
    return; // no storage (a private mode that refuses it): nothing to compare with
  }
  const key = lastKey(texts.dataset.origin);
  const last = read(storage, key);
  const now = Date.now();
  if (last && last.ok === false) showWarning(document, texts, String(last.problem));
  const onLedgerPage = document.getElementById("ledger-browser-check") !== null;
  if (!onLedgerPage && last && last.ok === true && now >= last.at && now - last.at < INTERVAL) return;

  const result = await checkLog({ fetchJson, storage, now: Date.now });
  report(document, result);
  if (result.unavailable) return; // try again on the next page
  storage.setItem(key, JSON.stringify({ at: now, ok: result.ok, problem: result.problem }));
  if (result.ok) hideWarning(document);
  else showWarning(document, texts, result.problem);
}
