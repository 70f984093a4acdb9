// The escrow construction in the browser: the same bytes as chorus.crypto.matching and
// chorus.escrow.evaluation (checked by fixed-randomness vectors under Node and Chromium).
// Nothing here talks to the network; the page's script does, with what these return.

import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { hsalsa, xsalsa20poly1305 } from "@noble/ciphers/salsa.js";
import { u32, u8 } from "@noble/ciphers/utils.js";
import { mod } from "@noble/curves/abstract/modular.js";
import { ristretto255, ristretto255_hasher, ristretto255_oprf, x25519 } from "@noble/curves/ed25519.js";
import { bytesToNumberLE, equalBytes, numberToBytesLE } from "@noble/curves/utils.js";
import { blake2b } from "@noble/hashes/blake2.js";
import { expand, extract } from "@noble/hashes/hkdf.js";
import { sha512 } from "@noble/hashes/sha2.js";
import { bytesToHex, concatBytes, hexToBytes } from "@noble/hashes/utils.js";

const encoder = new TextEncoder();
const ORDER = 2n ** 252n + 27742317777372353535851937790883648493n;
const FIELD = 2n ** 255n - 19n; // p, the field of an element encoding's s
const SALT = encoder.encode("chorus escrow v1");
const VOPRF_CONTEXT = "OPRFV1-\x01-ristretto255-SHA512";
const ENVELOPE_VERSION = 1;

const numberLE = bytesToNumberLE;
const toLE = (value) => numberToBytesLE(value, 32);
const modL = (value) => mod(value, ORDER);

// ---- elements from outside ----------------------------------------------------------

/** Bytes that are not the canonical encoding of a ristretto255 element, or the identity
 * (chorus.crypto.oprf.InvalidElement). */
export class InvalidElement extends Error {
  constructor(message) {
    super(message);
    this.name = "InvalidElement";
  }
}

/**
 * The one way an element from outside is accepted (chorus.crypto.oprf.check_element): the
 * canonical encoding of a ristretto255 element other than the identity, as RFC 9496 §4.3.1
 * and RFC 9497 §3.3 require; returns the point, or throws InvalidElement. @noble/curves
 * 2.4.0 already refuses every encoding the RFC refuses; the checks around it keep that true
 * whatever version is bundled, and say why in one error class.
 */
export function decodeElement(bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) throw new InvalidElement("a ristretto255 element is 32 bytes");
  // Steps 1 and 2: s below p (so bit 255 clear) and non-negative (even). Elements are public.
  const s = numberLE(bytes);
  if (s >= FIELD || (s & 1n) === 1n) throw new InvalidElement("not the canonical encoding of a ristretto255 element");
  let point;
  try {
    point = ristretto255.Point.fromBytes(bytes);
  } catch {
    throw new InvalidElement("not the canonical encoding of a ristretto255 element");
  }
  // Only the canonical encoding of an element comes back from encoding it again.
  if (!equalBytes(point.toBytes(), bytes)) throw new InvalidElement("not the canonical encoding of a ristretto255 element");
  if (point.equals(ristretto255.Point.ZERO)) throw new InvalidElement("the identity element is not allowed here");
  return point;
}

// ---- the OPRF client (RFC 9497 ristretto255-SHA512, VOPRF mode) ----------------------

/** Hash the canonical identifier to the group and blind it: {blind, blinded} as bytes. */
export function blind(input, fixedBlind) {
  const element = ristretto255_hasher.hashToCurve(input, { DST: "HashToGroup-" + VOPRF_CONTEXT });
  const scalar = fixedBlind ? numberLE(fixedBlind) : modL(numberLE(crypto.getRandomValues(new Uint8Array(64))));
  if (scalar === 0n) throw new Error("a zero blind");
  return { blind: toLE(scalar), blinded: element.multiply(scalar).toBytes() };
}

/**
 * Both holders' answers checked and unblinded, for a batch: the platform evaluated each
 * `blinded` element into `byPlatform` (one proof against its key), the custodian each
 * `byPlatform` into `byCustodian` (one proof against its key). Returns each
 * y = F(k1·k2, input); throws if either proof fails.
 */
export function finalizeTwoHop(inputs, blinds, hop) {
  const { voprf } = ristretto255_oprf;
  // Every element the holders sent (and the keys the page carries) through the one decoder,
  // so a proof is only ever checked over the one encoding of each element.
  for (const element of [hop.platformKey, hop.custodianKey, ...hop.blinded, ...hop.byPlatform, ...hop.byCustodian]) {
    decodeElement(element);
  }
  const items = (evaluated, blinded) =>
    inputs.map((input, i) => ({ input, blind: blinds[i], evaluated: evaluated[i], blinded: blinded[i] }));
  // Hop 1: only its proof matters (the outputs under k1 alone are discarded).
  voprf.finalizeBatch(items(hop.byPlatform, hop.blinded), hop.platformKey, hop.platformProof);
  // Hop 2: the custodian's proof over (byPlatform → byCustodian), then unblind and hash.
  return voprf.finalizeBatch(items(hop.byCustodian, hop.byPlatform), hop.custodianKey, hop.custodianProof);
}

// ---- the entry (chorus.crypto.matching) ---------------------------------------------

function scalarFrom(prk, info) {
  return modL(numberLE(expand(sha512, prk, info, 64))) || 1n;
}

function evaluate(coefficients, x) {
  let result = 0n;
  for (let i = coefficients.length - 1; i >= 0; i--) result = modL(result * x + coefficients[i]);
  return result;
}

/** Tag, polynomial and share derivation from the OPRF output y (64 bytes). */
export function derive(output, organization, k) {
  if (output.length !== 64) throw new Error("the OPRF output is 64 bytes");
  if (!(k >= 2 && k <= 10)) throw new Error("the threshold is 2 to 10");
  const prk = extract(sha512, output, SALT);
  const scope = encoder.encode(`${organization}\x00${k}`);
  const tag = expand(sha512, prk, concatBytes(encoder.encode("tag\x00"), scope), 32);
  const coefficients = [];
  for (let i = 0; i < k; i++) {
    coefficients.push(scalarFrom(prk, concatBytes(encoder.encode(`coefficient\x00${i}\x00`), scope)));
  }
  return {
    tag,
    secret: coefficients[0],
    shareFor(author) {
      const x = scalarFrom(prk, concatBytes(encoder.encode("x\x00"), author));
      return { x, y: evaluate(coefficients, x) };
    },
  };
}

function contentKey(secret) {
  return expand(sha512, extract(sha512, toLE(secret), SALT), encoder.encode("content"), 32);
}

/** chorus.crypto.envelope.seal: version ‖ nonce ‖ XChaCha20-Poly1305(key, AD = version ‖ context). */
export function seal(key, plaintext, context, fixedNonce) {
  const nonce = fixedNonce || crypto.getRandomValues(new Uint8Array(24));
  const version = Uint8Array.of(ENVELOPE_VERSION);
  const ad = concatBytes(version, encoder.encode(context));
  return concatBytes(version, nonce, xchacha20poly1305(key, nonce, ad).encrypt(plaintext));
}

/** chorus.crypto.envelope.open: the plaintext, or an error if the key or context is wrong. */
export function unseal(key, blob, context) {
  if (blob.length < 1 + 24 + 16 || blob[0] !== ENVELOPE_VERSION) throw new Error("not a sealed envelope");
  const ad = concatBytes(blob.subarray(0, 1), encoder.encode(context));
  return xchacha20poly1305(key, blob.subarray(1, 25), ad).decrypt(blob.subarray(25));
}

const SIGMA = u32(encoder.encode("expand 32-byte k"));

/** libsodium's crypto_box_seal (chorus.crypto.envelope.seal_to_public_key): an ephemeral
 * X25519 key, nonce = BLAKE2b-24(ephemeral ‖ recipient), XSalsa20-Poly1305 under HSalsa20
 * of the shared secret. Only the holder of the recipient's private key can open it. */
export function sealTo(publicKey, plaintext, fixedEphemeral) {
  const secret = fixedEphemeral || x25519.utils.randomSecretKey();
  const ephemeral = x25519.getPublicKey(secret);
  const key = new Uint32Array(8);
  hsalsa(SIGMA, u32(Uint8Array.from(x25519.getSharedSecret(secret, publicKey))), new Uint32Array(4), key);
  const nonce = blake2b(concatBytes(ephemeral, publicKey), { dkLen: 24 });
  return concatBytes(ephemeral, xsalsa20poly1305(u8(key), nonce).encrypt(plaintext));
}

/** x ‖ f(x) ‖ content sealed under a key from K: what is sealed to the advocate team. */
export function payload(derived, author, content, fixedNonce) {
  const share = derived.shareFor(author);
  const sealed = seal(contentKey(derived.secret), content, `escrow:${bytesToHex(derived.tag)}`, fixedNonce);
  return concatBytes(toLE(share.x), toLE(share.y), sealed);
}

/** The vectors the test suite compares with the Python implementation, byte for byte. */
export function runVectors(vectors) {
  return vectors.map((v) => {
    const input = encoder.encode(v.input);
    const blinded = blind(input, hexToBytes(v.blind));
    const [output] = finalizeTwoHop([input], [blinded.blind], {
      blinded: [blinded.blinded],
      byPlatform: [hexToBytes(v.byPlatform)],
      platformKey: hexToBytes(v.platformKey),
      platformProof: hexToBytes(v.platformProof),
      byCustodian: [hexToBytes(v.byCustodian)],
      custodianKey: hexToBytes(v.custodianKey),
      custodianProof: hexToBytes(v.custodianProof),
    });
    const derived = derive(output, v.organization, v.k);
    return {
      blinded: bytesToHex(blinded.blinded),
      output: bytesToHex(output),
      tag: bytesToHex(derived.tag),
      payload: bytesToHex(payload(derived, hexToBytes(v.author), encoder.encode(v.content), hexToBytes(v.nonce))),
      sealed: bytesToHex(sealTo(hexToBytes(v.teamKey), encoder.encode(v.content), hexToBytes(v.ephemeral))),
    };
  });
}

