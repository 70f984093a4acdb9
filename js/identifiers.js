// Identifier normalization in the browser: the rules of chorus.escrow.identifiers, over
// the tables the page hands over (identifiers.browser_rules()), so that a browser entry
// and a server entry naming the same person give the same canonical string. The test
// suite runs both implementations over the same inputs. Nothing here relies on what
// differs between browsers and Python (String.prototype.trim, \s, toLowerCase beyond
// A–Z, the URL parser's IDNA, UTF-16 lengths): whitespace, invisible characters and the
// letters of a domain come from the tables, and lengths are counted in code points.

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
  const value = trim(text || "", rules.whitespace);
  if (!value) fail("empty", { kind: described.label.toLowerCase(), example: described.example });
  if (tables(rules).invisible.test(value)) fail("invisible");
  if (codePoints(value) > rules.maxLength) fail("long");
  if (kind === "email") return "email:" + email(rules, value);
  if (kind === "phone") return "phone:" + phone(rules, value, region);
  if (kind === "member") return "member:" + member(rules, value);
  return `${kind}:` + handle(rules, kind, value);
}

/** Whether a row holds nothing but the whitespace the rules trim (as the server decides a
 * row is empty: String.prototype.trim would also drop U+FEFF, which the rules refuse). */
export const blank = (rules, text) => trim(text || "", rules.whitespace) === "";

const whole = (pattern) => new RegExp(`^(?:${pattern})$`);
const isAscii = (text) => /^[\x00-\x7f]*$/.test(text);
const asciiLower = (text) => text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
const codePoints = (text) => Array.from(text).length;

/** Python's str.strip(characters): whitespace characters are never surrogates. */
function trim(text, whitespace) {
  let start = 0;
  let end = text.length;
  while (start < end && whitespace.includes(text[start])) start++;
  while (end > start && whitespace.includes(text[end - 1])) end--;
  return text.slice(start, end);
}

/** The spaces of the whitespace table inside a number, read as a plain space. */
const spaced = (rules, text) =>
  Array.from(text, (char) => (rules.whitespace.includes(char) && char > " " ? " " : char)).join("");

/** Ranges packed by domains.packed(): each one's distance from the end of the one before, then its length minus one. */
function charClass(packed) {
  let end = 0;
  let found = "";
  for (let i = 0; i < packed.length; i += 2) {
    const first = end + packed[i];
    end = first + packed[i + 1];
    found += `\\u{${first.toString(16)}}-\\u{${end.toString(16)}}`;
  }
  return found;
}

const built = new WeakMap();
function tables(rules) {
  if (!built.has(rules)) {
    built.set(rules, {
      invisible: new RegExp(`[${charClass(rules.invisible)}]`, "u"),
      letters: new RegExp(`^[a-z0-9\\-${charClass(rules.domainLetters)}]+$`, "u"),
      marks: new RegExp(`^[${charClass(rules.domainMarks)}]`, "u"),
    });
  }
  return built.get(rules);
}

/** The domain in ASCII form by the IDNA2008 subset of chorus.escrow.domains, or null. */
function asciiDomain(rules, text) {
  const labels = (text.endsWith(".") ? text.slice(0, -1) : text).split(".").map((label) => asciiLabel(rules, label));
  if (labels.includes(null)) return null;
  const domain = labels.join(".");
  if (labels.length < 2 || /^[0-9]+$/.test(labels.at(-1)) || domain.length > rules.maxDomain) return null;
  return domain;
}

function asciiLabel(rules, text) {
  const label = asciiLower(text);
  if (!isAscii(label)) {
    const unicode = tables(rules).letters.test(label) ? label.normalize("NFC") : "";
    if (!uLabel(rules, unicode) || aLabel(unicode).length > rules.maxLabel) return null;
    return aLabel(unicode);
  }
  if (!whole(rules.label).test(label) || (label.slice(2, 4) === "--" && !label.startsWith("xn--"))) return null;
  if (label.startsWith("xn--")) {
    const unicode = punycodeDecode(label.slice(4));
    if (unicode === null || !uLabel(rules, unicode) || aLabel(unicode) !== label) return null;
  }
  return label;
}

function uLabel(rules, unicode) {
  const chars = Array.from(unicode);
  return (
    !isAscii(unicode) &&
    tables(rules).letters.test(unicode) &&
    !tables(rules).marks.test(unicode) &&
    chars[0] !== "-" &&
    chars.at(-1) !== "-" &&
    chars.slice(2, 4).join("") !== "--" &&
    unicode === unicode.normalize("NFC")
  );
}

// Punycode (RFC 3492), as Python's "punycode" codec: the server's side of the same rules.
const BASE = 36;
const TMIN = 1;
const TMAX = 26;

function threshold(k, bias) {
  return k <= bias ? TMIN : k >= bias + TMAX ? TMAX : k - bias;
}

function adapt(delta, points, first) {
  let scaled = Math.floor(delta / (first ? 700 : 2));
  scaled += Math.floor(scaled / points);
  let k = 0;
  while (scaled > ((BASE - TMIN) * TMAX) >> 1) {
    scaled = Math.floor(scaled / (BASE - TMIN));
    k += BASE;
  }
  return k + Math.floor(((BASE - TMIN + 1) * scaled) / (scaled + 38));
}

const digit = (value) => String.fromCharCode(value < 26 ? 97 + value : 22 + value);

function aLabel(unicode) {
  const codes = Array.from(unicode, (char) => char.codePointAt(0));
  const basic = codes.filter((code) => code < 0x80).length;
  let output = String.fromCharCode(...codes.filter((code) => code < 0x80)) + (basic ? "-" : "");
  let [n, delta, bias, handled] = [0x80, 0, 72, basic];
  while (handled < codes.length) {
    const next = Math.min(...codes.filter((code) => code >= n));
    delta += (next - n) * (handled + 1);
    n = next;
    for (const code of codes) {
      if (code < n) delta++;
      if (code !== n) continue;
      let q = delta;
      for (let k = BASE; ; k += BASE) {
        const t = threshold(k, bias);
        if (q < t) break;
        output += digit(t + ((q - t) % (BASE - t)));
        q = Math.floor((q - t) / (BASE - t));
      }
      output += digit(q);
      bias = adapt(delta, handled + 1, handled === basic);
      delta = 0;
      handled++;
    }
    delta++;
    n++;
  }
  return "xn--" + output;
}

function punycodeDecode(text) {
  const delimiter = text.lastIndexOf("-");
  const output = delimiter < 0 ? [] : Array.from(text.slice(0, delimiter), (char) => char.codePointAt(0));
  let [n, i, bias, at] = [0x80, 0, 72, delimiter + 1];
  while (at < text.length) {
    const old = i;
    let w = 1;
    for (let k = BASE; ; k += BASE) {
      if (at >= text.length) return null;
      const code = text.charCodeAt(at++);
      const value = code >= 48 && code <= 57 ? code - 22 : code >= 97 && code <= 122 ? code - 97 : -1;
      if (value < 0) return null;
      i += value * w;
      if (i > Number.MAX_SAFE_INTEGER) return null; // far beyond U+10FFFF, which Python refuses too
      const t = threshold(k, bias);
      if (value < t) break;
      w *= BASE - t;
    }
    bias = adapt(i - old, output.length + 1, old === 0);
    n += Math.floor(i / (output.length + 1));
    i %= output.length + 1;
    if (n > 0x10ffff) return null;
    output.splice(i, 0, n);
    i++;
  }
  return String.fromCodePoint(...output);
}

function email(rules, text) {
  const value = asciiLower(text.slice(0, 7)) === "mailto:" ? trim(text.slice(7), rules.whitespace) : text;
  const at = value.lastIndexOf("@");
  if (at <= 0 || at === value.length - 1) fail("email");
  let domain = asciiDomain(rules, value.slice(at + 1));
  if (domain === null) fail("domain");
  let local = asciiLower(value.slice(0, at));
  if (!whole(rules.local).test(local) || local.startsWith(".") || local.endsWith(".") || local.includes("..")) {
    fail("local");
  }
  domain = rules.domainAliases[domain] || domain;
  if (rules.plusFolding.includes(domain)) local = local.split("+", 1)[0] || local;
  if (domain === "gmail.com") local = local.replaceAll(".", "");
  return `${local}@${domain}`;
}

function phone(rules, text, region) {
  if (!rules.international.some((prefix) => text.startsWith(prefix)) && !region) fail("country");
  let value = spaced(rules, text);
  // Only what both libphonenumber ports read alike (see identifiers._phone).
  if (!whole(rules.phone).test(value)) fail("phone_characters");
  if (value.startsWith("00")) value = "+" + value.slice(2);
  // No country calling code starts with 0 (see identifiers._phone).
  if (whole(rules.plusThenZero).test(value)) fail("number");
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
  const compact = spaced(rules, text).replace(new RegExp(rules.memberSeparators, "g"), "");
  if (!whole(rules.member).test(compact)) fail("member");
  return compact.toUpperCase();
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
  if (!isAscii(value)) fail(kind === "mastodon" ? "mastodon" : "handle", named); // handles and their links are ASCII
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
