// Identifier normalization in the browser: the rules of chorus.escrow.identifiers, over
// the tables the page hands over (identifiers.browser_rules()), so that a browser entry
// and a server entry naming the same person give the same canonical string. The test
// suite runs both implementations over the same inputs.

import { parsePhoneNumberWithError } from "libphonenumber-js/max";

export class IdentifierError extends Error {}

// The explanations come translated with the rules (identifiers.MESSAGES), placeholders
// written as Python's %(name)s.
let said = {};
const fail = (code, values = {}) => {
  throw new IdentifierError(said[code].replace(/%\((\w+)\)s/g, (_, name) => values[name]));
};

/** The canonical `kind:value` string; throws IdentifierError naming the expected form. */
export function normalize(rules, kind, text, region = "") {
  said = rules.messages;
  const described = rules.kinds[kind];
  if (!described) fail("kind");
  const value = (text || "").trim();
  if (!value) fail("empty", { kind: described.label.toLowerCase(), example: described.example });
  if (value.length > rules.maxLength) fail("long");
  if (kind === "email") return "email:" + email(rules, value);
  if (kind === "phone") return "phone:" + phone(rules, value, region);
  if (kind === "member") return "member:" + member(rules, value);
  return `${kind}:` + handle(rules, kind, value);
}

const whole = (pattern) => new RegExp(`^(?:${pattern})$`);

function asciiDomain(domain) {
  // The WHATWG URL parser applies UTS #46 (non-transitional), as the server does.
  if (/[\s/:?#@[\]\\%]/.test(domain)) return null;
  try {
    return new URL(`http://${domain}`).hostname;
  } catch {
    return null;
  }
}

function email(rules, text) {
  const value = (text.startsWith("mailto:") ? text.slice("mailto:".length) : text).trim();
  const at = value.lastIndexOf("@");
  if (at <= 0 || at === value.length - 1) fail("email");
  let local = value.slice(0, at).toLowerCase();
  let domain = asciiDomain(value.slice(at + 1).replace(/\.+$/, ""));
  const labels = domain ? domain.split(".") : [];
  const label = whole(rules.label);
  if (labels.length < 2 || !labels.every((part) => label.test(part)) || /^\d+$/.test(labels.at(-1))) {
    fail("domain");
  }
  if (!whole(rules.local).test(local) || local.startsWith(".") || local.endsWith(".") || local.includes("..")) {
    fail("local");
  }
  domain = rules.domainAliases[domain] || domain;
  if (rules.plusFolding.includes(domain)) local = local.split("+", 1)[0] || local;
  if (domain === "gmail.com") local = local.replaceAll(".", "");
  return `${local}@${domain}`;
}

function phone(rules, text, region) {
  if (!text.startsWith("+") && !text.startsWith("00") && !region) {
    fail("country");
  }
  const value = text.startsWith("00") ? "+" + text.slice(2) : text;
  if (/\p{L}/u.test(value)) fail("number"); // no letters: libphonenumber would read them as a keypad's
  let number;
  try {
    number = parsePhoneNumberWithError(value, region || undefined);
  } catch {
    fail("number");
  }
  if (!number.isValid()) fail("number");
  return number.number;
}

function member(rules, text) {
  const compact = text.replace(/[\s.\-_/]/g, "").toUpperCase();
  if (!whole(rules.member).test(compact)) fail("member");
  return compact;
}

/** A profile link as written, with or without its scheme: {netloc, path} as urlsplit gives. */
function splitUrl(text) {
  const full = text.includes("://") ? text : `https://${text}`;
  const parts = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)([^?#]*)/.exec(full);
  return parts ? { netloc: parts[1], path: parts[2] } : { netloc: "", path: "" };
}

function host(netloc) {
  const name = netloc.slice(netloc.lastIndexOf("@") + 1).split(":", 1)[0].toLowerCase();
  return name.startsWith("www.") ? name.slice(4) : name;
}

function handleFromPath(platform, path) {
  const parts = path.split("/").filter(Boolean);
  for (const prefix of platform.paths) {
    const wanted = prefix.split("/").filter(Boolean);
    if (wanted.every((word, i) => parts[i] === word) && parts.length > wanted.length) return parts[wanted.length];
  }
  return null;
}

function handle(rules, kind, value) {
  const platform = rules.platforms[kind];
  const named = { platform: platform.label };
  let lowered = value.toLowerCase();
  if (kind === "mastodon") return mastodon(platform, lowered);
  if (lowered.includes("/") || lowered.startsWith("http:") || lowered.startsWith("https:")) {
    const split = splitUrl(lowered);
    if (!platform.hosts.includes(host(split.netloc))) fail("host", named);
    const found = handleFromPath(platform, split.path);
    if (found === null || platform.reserved.includes(found)) {
      fail("profile", named);
    }
    lowered = found;
    if (platform.atInPath && !lowered.startsWith("@")) fail("profile", named);
  }
  const name = lowered.startsWith("@") ? lowered.slice(1) : lowered;
  if (!whole(platform.pattern).test(name)) fail("handle", named);
  return name;
}

function mastodon(platform, text) {
  let value = text;
  if (value.includes("/")) {
    const split = splitUrl(value);
    const parts = split.path.split("/").filter(Boolean);
    if (parts.length !== 1 || !parts[0].startsWith("@")) fail("mastodon_profile");
    value = `${parts[0]}@${host(split.netloc)}`;
  }
  const name = value.startsWith("@") ? value.slice(1) : value;
  if (!whole(platform.pattern).test(name)) fail("mastodon");
  return name;
}
