// The ledger's Merkle tree checks in the browser: RFC 9162 §2.1 hashes, inclusion and
// consistency proof verification, and the tree head and cosignature messages, the same
// bytes and the same refusals as chorus.crypto.merkle and chorus.crypto.tree_head (checked
// under Node by tests/crypto/test_merkle_browser.py and tests/ledger/test_log_check_node.py).
// Hashes are Uint8Arrays of 32 bytes; sizes and indexes are Numbers, whole and below
// 2**53, so shifts are done by division (the bit operators of JavaScript stop at 32 bits).

import { sha256 } from "@noble/hashes/sha2.js";

const HASH_SIZE = 32;
const LEAF = Uint8Array.of(0);
const NODE = Uint8Array.of(1);
const HEADER = "chorus-tree-head/v1";
const COSIGNATURE_HEADER = "cosignature/v1";
const ORIGIN = /^[\x21-\x2a\x2c-\x7e]{1,255}$/;

export const EMPTY_ROOT = sha256(new Uint8Array(0));

export class MerkleProofError extends Error {
  constructor(message) {
    super(message);
    this.name = "MerkleProofError";
  }
}

function hashOf(prefix, ...parts) {
  const hash = sha256.create().update(prefix);
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** SHA-256(0x00 || data): the hash of one leaf's data. */
export const leafHash = (data) => hashOf(LEAF, data);

/** SHA-256(0x01 || left || right): an interior node from its children's hashes. */
export const nodeHash = (left, right) => hashOf(NODE, left, right);

function fold(hashes) {
  if (hashes.length === 0) return EMPTY_ROOT;
  let current = hashes[hashes.length - 1];
  for (let i = hashes.length - 2; i >= 0; i--) current = nodeHash(hashes[i], current);
  return current;
}

/** MTH of the leaves whose *hashes* are given (RFC 9162 §2.1.1), in O(n). */
export function rootFromLeaves(leafHashes) {
  const stack = [];
  leafHashes.forEach((value, index) => {
    let current = value;
    for (let merges = index; merges % 2 === 1; merges = Math.floor(merges / 2)) {
      current = nodeHash(stack.pop(), current);
    }
    stack.push(current);
  });
  return fold(stack);
}

const odd = (number) => number % 2 === 1;
const half = (number) => Math.floor(number / 2);

function equal(left, right) {
  if (left.length !== right.length) return false;
  for (let i = 0; i < left.length; i++) if (left[i] !== right[i]) return false;
  return true;
}

function checkInputs(numbers, treeHashes, proof) {
  if (!numbers.every((number) => Number.isSafeInteger(number))) {
    throw new MerkleProofError("a tree size or index is not a whole number below 2**53");
  }
  const isHash = (value) => value instanceof Uint8Array && value.length === HASH_SIZE;
  if (!treeHashes.every(isHash)) throw new MerkleProofError("a tree hash is not 32 bytes");
  if (!Array.isArray(proof) || !proof.every(isHash)) throw new MerkleProofError("a proof hash is not 32 bytes");
}

/**
 * Check that the leaf whose hash is `leafHash` is leaf `index` of the tree of `size`
 * leaves whose root is `root` (RFC 9162 §2.1.3.2). Throws MerkleProofError if not.
 * Take `size` and `root` from the same signed tree head: a proof does not name the size
 * it was made for (one for leaf 0 of 3 leaves also checks as leaf 0 of 4).
 */
export function verifyInclusion(leafHash, index, size, proof, root) {
  checkInputs([index, size], [leafHash, root], proof);
  if (!(index >= 0 && index < size)) {
    throw new MerkleProofError(`leaf ${index} is not in a tree of ${size} leaves`);
  }
  let fn = index;
  let sn = size - 1;
  let result = leafHash;
  for (const sibling of proof) {
    if (sn === 0) throw new MerkleProofError("the proof is longer than the path from the leaf to the root");
    if (odd(fn) || fn === sn) {
      result = nodeHash(sibling, result);
      while (!odd(fn) && fn !== 0) [fn, sn] = [half(fn), half(sn)];
    } else {
      result = nodeHash(result, sibling);
    }
    [fn, sn] = [half(fn), half(sn)];
  }
  if (sn !== 0) throw new MerkleProofError("the proof is shorter than the path from the leaf to the root");
  if (!equal(result, root)) {
    throw new MerkleProofError("the proof leads to another root: the leaf is not at that index in this tree");
  }
}

function isPowerOfTwo(number) {
  let rest = number;
  while (rest > 1 && !odd(rest)) rest = half(rest);
  return rest === 1;
}

/**
 * Check that the tree of `newSize` leaves with root `newRoot` extends the tree of
 * `oldSize` leaves with root `oldRoot` (RFC 9162 §2.1.4.2). Throws MerkleProofError if
 * not. As on the server: equal sizes need equal roots and an empty proof; an old size of
 * 0 needs the empty tree's root and an empty proof.
 */
export function verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof) {
  checkInputs([oldSize, newSize], [oldRoot, newRoot], proof);
  if (!(oldSize >= 0 && oldSize <= newSize)) {
    throw new MerkleProofError(`a tree of ${newSize} leaves cannot extend one of ${oldSize}`);
  }
  if (oldSize === 0 || oldSize === newSize) {
    if (proof.length) throw new MerkleProofError("a proof between these sizes is empty");
    if (oldSize === 0 && !equal(oldRoot, EMPTY_ROOT)) {
      throw new MerkleProofError("the old root is not the root of an empty tree");
    }
    if (oldSize === newSize && !equal(oldRoot, newRoot)) {
      throw new MerkleProofError("the two roots differ for the same tree size");
    }
    return;
  }
  if (proof.length === 0) throw new MerkleProofError("the proof is empty");
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : proof;
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (odd(fn)) [fn, sn] = [half(fn), half(sn)];
  let oldResult = path[0];
  let newResult = path[0];
  for (const sibling of path.slice(1)) {
    if (sn === 0) throw new MerkleProofError("the proof is longer than the trees need");
    if (odd(fn) || fn === sn) {
      oldResult = nodeHash(sibling, oldResult);
      newResult = nodeHash(sibling, newResult);
      while (!odd(fn) && fn !== 0) [fn, sn] = [half(fn), half(sn)];
    } else {
      newResult = nodeHash(newResult, sibling);
    }
    [fn, sn] = [half(fn), half(sn)];
  }
  if (sn !== 0) throw new MerkleProofError("the proof is shorter than the trees need");
  if (!equal(oldResult, oldRoot)) throw new MerkleProofError("the proof does not lead to the old root");
  if (!equal(newResult, newRoot)) {
    throw new MerkleProofError("the proof does not lead to the new root: the new tree does not extend the old one");
  }
}

/** Standard base64 with padding. */
function base64(bytes) {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function checkTreeHead({ origin, size, rootHash, timestamp }) {
  if (typeof origin !== "string" || !ORIGIN.test(origin)) {
    throw new TypeError("a log's origin is 1 to 255 printable ASCII characters, no spaces or '+'");
  }
  for (const [name, value] of [["tree size", size], ["timestamp", timestamp]]) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new TypeError(`a ${name} is a whole number from 0 to 2**53 - 1`);
    }
  }
  if (!(rootHash instanceof Uint8Array) || rootHash.length !== HASH_SIZE) {
    throw new TypeError("a root hash is 32 bytes");
  }
}

/** The C2SP checkpoint body: "<origin>\n<size>\n<base64 root>\n", as bytes. */
export function checkpointBody({ origin, size, rootHash }) {
  checkTreeHead({ origin, size, rootHash, timestamp: 0 });
  return new TextEncoder().encode(`${origin}\n${size}\n${base64(rootHash)}\n`);
}

function joined(header, body) {
  const start = new TextEncoder().encode(header);
  const message = new Uint8Array(start.length + body.length);
  message.set(start);
  message.set(body, start.length);
  return message;
}

/**
 * What the log's key signs for a tree head: "chorus-tree-head/v1\ntime <seconds>\n"
 * then the checkpoint body (chorus/crypto/tree_head.py describes the format).
 */
export function treeHeadMessage({ origin, size, rootHash, timestamp }) {
  checkTreeHead({ origin, size, rootHash, timestamp });
  return joined(`${HEADER}\ntime ${timestamp}\n`, checkpointBody({ origin, size, rootHash }));
}

/**
 * What the witness's key signs for a tree head (C2SP tlog-cosignature/v1):
 * "cosignature/v1\ntime <the witness's seconds>\n" then the checkpoint body. The log's own
 * time is not part of it, but the head must be a valid one, as TreeHead.cosignature_message
 * requires.
 */
export function cosignatureMessage({ origin, size, rootHash, timestamp }, witnessTimestamp) {
  checkTreeHead({ origin, size, rootHash, timestamp });
  if (!Number.isSafeInteger(witnessTimestamp) || witnessTimestamp < 0) {
    throw new TypeError("a timestamp is a whole number from 0 to 2**53 - 1");
  }
  return joined(`${COSIGNATURE_HEADER}\ntime ${witnessTimestamp}\n`, checkpointBody({ origin, size, rootHash }));
}
