// A member's browser checks their organization's transparency log itself (README, "A
// transparency log members check themselves"). It keeps the keys the deployment pinned on
// its first visit and the last countersigned tree head it accepted, and on a later visit
// accepts the newest head only if
//
// * the deployment still pins the same log key and witness key, and the log still has the
//   same name (origin): a new name would be a log the witness never saw, which it
//   countersigns without any proof, so a history rewritten under a new name is refused;
// * the head is signed by that log key and countersigned by that witness key (the keys
//   the head names are only compared with the pinned ones, never trusted);
// * it is at least as large as the kept one, and a consistency proof from the server shows
//   that the kept one is a prefix of it (RFC 9162 §2.1.4).
//
// A server that cannot be reached, or a deployment that pins no key, is "unavailable"
// (nothing was checked), not a failure: only a log that was checked and does not hold is.

import { ed25519 } from "@noble/curves/ed25519.js";
import { hexToBytes } from "@noble/hashes/utils.js";
import { cosignatureMessage, MerkleProofError, treeHeadMessage, verifyConsistency } from "./merkle.js";

export const HEAD_URL = "/ledger/log/head/";
export const consistencyUrl = (from, to) => `/ledger/log/consistency/?from=${from}&to=${to}`;
export const PINS_KEY = "chorus.ledger.pins";
export const headKey = (origin) => `chorus.ledger.head:${origin}`;

const KEY = /^[0-9a-f]{64}$/;
const SIGNATURE = /^[0-9a-fA-F]{128}$/; // as bytes.fromhex reads it on the server
const ROOT = /^[A-Za-z0-9+/]{43}=$/;

/** The log does not hold: what was checked and how it failed. */
export class LogCheckFailure extends Error {
  constructor(message) {
    super(message);
    this.name = "LogCheckFailure";
  }
}

/** Nothing could be checked just now (the server did not answer, or pins no key). */
class Unavailable extends Error {}

/**
 * Whether `signature` (64 bytes) is `publicKey`'s (32 bytes) Ed25519 signature of `message`.
 * Strict RFC 8032 encodings (not ZIP-215), as libsodium on the server checks them.
 */
export function verifySignature(publicKey, message, signature) {
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false; // a malformed key or signature is no signature
  }
}

const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

/** A head from /ledger/log/head/, checked for shape, with its root as bytes. */
function parseHead(raw) {
  const fields = raw && typeof raw === "object" ? raw : {};
  const { origin, size, root_hash: root, timestamp, witness_timestamp: witnessTimestamp } = fields;
  const wellFormed =
    typeof root === "string" &&
    ROOT.test(root) &&
    [fields.log_key, fields.witness_key].every((key) => typeof key === "string" && KEY.test(key)) &&
    [fields.signature, fields.cosignature].every((value) => typeof value === "string" && SIGNATURE.test(value));
  if (!wellFormed) throw new LogCheckFailure("the newest tree head is not in the form Chorus sends");
  const head = { origin, size, rootHash: fromBase64(root), timestamp, witnessTimestamp };
  try {
    return { ...head, message: treeHeadMessage(head), cosigned: cosignatureMessage(head, witnessTimestamp), fields };
  } catch (error) {
    throw new LogCheckFailure(`the newest tree head is not valid: ${error.message}`);
  }
}

/** Throws LogCheckFailure unless `head` is signed and countersigned under the pinned keys. */
function checkSignatures(head, pins) {
  const { fields } = head;
  if (fields.log_key !== pins.logKey) {
    throw new LogCheckFailure(`the tree head of size ${head.size} is signed by a key that is not the pinned log key`);
  }
  if (!verifySignature(hexToBytes(pins.logKey), head.message, hexToBytes(fields.signature))) {
    throw new LogCheckFailure(`the tree head of size ${head.size} has a bad signature`);
  }
  if (fields.witness_key !== pins.witnessKey) {
    throw new LogCheckFailure(
      `the tree head of size ${head.size} is countersigned by a key that is not the pinned witness key`,
    );
  }
  if (!verifySignature(hexToBytes(pins.witnessKey), head.cosigned, hexToBytes(fields.cosignature))) {
    throw new LogCheckFailure(`the tree head of size ${head.size} has a bad cosignature`);
  }
}

/** Throws LogCheckFailure unless `head` extends `kept`, the head this browser accepted last. */
async function checkExtends(kept, head, fetchJson) {
  if (head.size < kept.size) {
    throw new LogCheckFailure(`the ledger has ${head.size} events, fewer than the ${kept.size} this browser saw`);
  }
  const keptRoot = fromBase64(kept.root_hash);
  let proof = [];
  if (head.size > kept.size) {
    let answer;
    try {
      answer = await fetchJson(consistencyUrl(kept.size, head.size));
    } catch (error) {
      if (error.status === 404) {
        throw new LogCheckFailure(`the server cannot prove that its ${head.size} events extend the ${kept.size} this browser saw`);
      }
      throw new Unavailable(`the consistency proof could not be fetched: ${error.message}`);
    }
    const hashes = answer && Array.isArray(answer.proof) ? answer.proof : null;
    if (!hashes || answer.from !== kept.size || answer.to !== head.size || !hashes.every((h) => typeof h === "string" && ROOT.test(h))) {
      throw new LogCheckFailure("the consistency proof is not in the form Chorus sends");
    }
    proof = hashes.map(fromBase64);
  }
  try {
    verifyConsistency(kept.size, head.size, keptRoot, head.rootHash, proof);
  } catch (error) {
    if (!(error instanceof MerkleProofError)) throw error;
    throw new LogCheckFailure(
      `the ledger of ${head.size} events does not extend the one of ${kept.size} this browser saw: ${error.message}`,
    );
  }
}

function read(storage, key) {
  try {
    const value = JSON.parse(storage.getItem(key) ?? "null");
    return value && typeof value === "object" ? value : null;
  } catch {
    return null; // unreadable: as if never stored
  }
}

/**
 * Check the signed-in member's organization's log against what this browser kept.
 *
 * `fetchJson(path)` resolves to the parsed body of a successful answer and rejects
 * otherwise (with `status` set for an HTTP error); `storage` is a Storage (localStorage);
 * `now()` gives milliseconds (kept with the accepted head). Resolves to
 * `{ok, problem, size, witnessedAt, origin, unavailable}`: `ok` when the log holds (the
 * head is then kept for the next visit), else `problem` says what failed, and
 * `unavailable` is true when nothing could be checked.
 */
export async function checkLog({ fetchJson, storage, now = Date.now }) {
  const result = (fields) => ({ ok: false, problem: "", size: null, witnessedAt: null, origin: null, unavailable: false, ...fields });
  let answer;
  try {
    answer = await fetchJson(HEAD_URL);
  } catch (error) {
    return result({ unavailable: true, problem: `the newest tree head could not be fetched: ${error.message}` });
  }
  const origin = answer && typeof answer.origin === "string" ? answer.origin : null;
  if (origin === null) return result({ problem: "the answer about the newest tree head is not in the form Chorus sends" });
  const pins = { logKey: answer.log_key, witnessKey: answer.witness_key };
  if (!KEY.test(String(pins.logKey)) || !KEY.test(String(pins.witnessKey))) {
    return result({ origin, unavailable: true, problem: "this deployment pins no log key or no witness key to check against" });
  }
  const pinned = read(storage, PINS_KEY);
  if (pinned && (pinned.logKey !== pins.logKey || pinned.witnessKey !== pins.witnessKey)) {
    return result({ origin, problem: "the keys this deployment pins are not the ones this browser saw on its first visit" });
  }
  if (pinned && typeof pinned.origin === "string" && pinned.origin !== origin) {
    return result({
      origin,
      problem: `the ledger is now offered under another name (${origin}) than the one this browser saw first (${pinned.origin})`,
    });
  }
  pins.origin = origin;
  const kept = read(storage, headKey(origin));
  let head = null;
  try {
    if (answer.head === null) {
      if (kept) {
        throw new LogCheckFailure(`no countersigned tree head is offered, though this browser saw one of ${kept.size} events`);
      }
    } else {
      head = parseHead(answer.head);
      if (head.origin !== origin) throw new LogCheckFailure(`the newest tree head is for another log (${head.origin})`);
      checkSignatures(head, pins);
      if (kept) await checkExtends(kept, head, fetchJson);
    }
  } catch (error) {
    if (error instanceof Unavailable) return result({ origin, unavailable: true, problem: error.message });
    if (error instanceof LogCheckFailure) return result({ origin, problem: error.message });
    throw error;
  }
  storage.setItem(PINS_KEY, JSON.stringify(pins));
  if (head === null) return result({ ok: true, origin, size: 0 });
  const { size, root_hash, timestamp, witness_timestamp } = head.fields;
  storage.setItem(headKey(origin), JSON.stringify({ size, root_hash, timestamp, witness_timestamp, seen_at: now() }));
  return result({ ok: true, origin, size, witnessedAt: witness_timestamp });
}

/** `fetchJson` for checkLog in a page: same-origin, never cached, never redirected (a
 * session that ended answers with a redirect to sign in, which is no answer). */
export async function fetchJson(path) {
  const response = await fetch(path, {
    credentials: "same-origin",
    cache: "no-store",
    redirect: "error",
    headers: { Accept: "application/json" },
  });
  if (!response.ok) {
    const error = new Error(`HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return response.json();
}
