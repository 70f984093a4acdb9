// Identifier normalization in the browser: the rules of chorus.escrow.identifiers, over
// the tables the page hands over (identifiers.browser_rules()), so that a browser entry
// and a server entry naming the same person give the same canonical string. The test
// suite runs both implementations over the same inputs.

import { parsePhoneNumberWithError } from "libphonenumber-js/max";

export class IdentifierError extends Error {}

const fail = (message) => {
  throw new IdentifierError(message);
};

/** The canonical `kind:value` string; throws IdentifierError naming the expected form. */
export function normalize(rules, kind, text, region = "") {
  const described = rules.kinds[kind];
  if (!described) fail("Choose what kind of identifier this is.");
  const value = (text || "").trim();
  if (!value) fail(`Write the ${described.label.toLowerCase()}, for example ${described.example}.`);
  if (value.length > rules.maxLength) fail("This is longer than any identifier of this kind.");
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
  if (at <= 0 || at === value.length - 1) fail("An email address looks like name@example.org.");
  let local = value.slice(0, at).toLowerCase();
  let domain = asciiDomain(value.slice(at + 1).replace(/\.+$/, ""));
  const labels = domain ? domain.split(".") : [];
  const label = whole(rules.label);
  if (labels.length < 2 || !labels.every((part) => label.test(part)) || /^\d+$/.test(labels.at(-1))) {
    fail("The part after @ is not a valid domain, e.g. example.org.");
  }
  if (!whole(rules.local).test(local) || local.startsWith(".") || local.endsWith(".") || local.includes("..")) {
    fail("The part before @ has characters an email address cannot have.");
  }
  domain = rules.domainAliases[domain] || domain;
  if (rules.plusFolding.includes(domain)) local = local.split("+", 1)[0] || local;
  if (domain === "gmail.com") local = local.replaceAll(".", "");
  return `${local}@${domain}`;
}

function phone(rules, text, region) {
  if (!text.startsWith("+") && !text.startsWith("00") && !region) {
    fail("Include the country code, e.g. +44 20 7946 0000.");
  }
  const value = text.startsWith("00") ? "+" + text.slice(2) : text;
  if (/\p{L}/u.test(value)) fail(rules.notANumber); // no letters: libphonenumber would read them as a keypad's
  let number;
  try {
    number = parsePhoneNumberWithError(value, region || undefined);
  } catch {
    fail(rules.notANumber);
  }
  if (!number.isValid()) fail(rules.notANumber);
  return number.number;
}

function member(rules, text) {
  const compact = text.replace(/[\s.\-_/]/g, "").toUpperCase();
  if (!whole(rules.member).test(compact)) fail("A member number is 2 to 40 letters and digits, e.g. A-1234.");
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
  const expected = `the ${platform.label} handle, like @name, or a link to the profile`;
  let lowered = value.toLowerCase();
  if (kind === "mastodon") return mastodon(platform, lowered);
  if (lowered.includes("/") || lowered.startsWith("http:") || lowered.startsWith("https:")) {
    const split = splitUrl(lowered);
    if (!platform.hosts.includes(host(split.netloc))) fail(`This link is not on ${platform.label}. Write ${expected}.`);
    const found = handleFromPath(platform, split.path);
    if (found === null || platform.reserved.includes(found)) {
      fail(`This link does not point to a profile. Write ${expected}.`);
    }
    lowered = found;
    if (platform.atInPath && !lowered.startsWith("@")) fail(`This link does not point to a profile. Write ${expected}.`);
  }
  const name = lowered.startsWith("@") ? lowered.slice(1) : lowered;
  if (!whole(platform.pattern).test(name)) fail(`This is not a possible ${platform.label} handle. Write ${expected}.`);
  return name;
}

function mastodon(platform, text) {
  const expected = "a Mastodon address like @name@instance.social or a link like https://instance.social/@name";
  let value = text;
  if (value.includes("/")) {
    const split = splitUrl(value);
    const parts = split.path.split("/").filter(Boolean);
    if (parts.length !== 1 || !parts[0].startsWith("@")) fail(`This link does not point to a profile. Write ${expected}.`);
    value = `${parts[0]}@${host(split.netloc)}`;
  }
  const name = value.startsWith("@") ? value.slice(1) : value;
  if (!whole(platform.pattern).test(name)) fail(`Write ${expected}.`);
  return name;
}
