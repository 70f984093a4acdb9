// node js/run_merkle.js check|time < input.json : the browser's Merkle checks, as JSON, for
// the test suite (check) and the merkle bench (time) to compare with chorus.crypto.merkle.
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import {
  leafHash,
  MerkleProofError,
  rootFromLeaves,
  treeHeadMessage,
  verifyConsistency,
  verifyInclusion,
} from "./merkle.js";

const hashes = (list) => list.map(hexToBytes);

// null where the proof verifies, else the refusal.
function refusal(check) {
  try {
    check();
    return null;
  } catch (error) {
    if (!(error instanceof MerkleProofError)) throw error;
    return error.message;
  }
}

const commands = {
  check: ({ trees, inclusion, consistency, heads }) => ({
    roots: trees.map((leaves) => bytesToHex(rootFromLeaves(leaves.map((data) => leafHash(hexToBytes(data)))))),
    inclusion: inclusion.map(([leaf, index, size, proof, root]) =>
      refusal(() => verifyInclusion(hexToBytes(leaf), index, size, hashes(proof), hexToBytes(root))),
    ),
    consistency: consistency.map(([oldSize, newSize, oldRoot, newRoot, proof]) =>
      refusal(() => verifyConsistency(oldSize, newSize, hexToBytes(oldRoot), hexToBytes(newRoot), hashes(proof))),
    ),
    heads: heads.map(({ origin, size, root, timestamp }) =>
      bytesToHex(treeHeadMessage({ origin, size, rootHash: hexToBytes(root), timestamp })),
    ),
  }),
  // Microseconds per consistency check, over `rounds` checks after as many to warm up.
  time: ({ oldSize, newSize, oldRoot, newRoot, proof, rounds }) => {
    const args = [oldSize, newSize, hexToBytes(oldRoot), hexToBytes(newRoot), hashes(proof)];
    for (let i = 0; i < rounds; i++) verifyConsistency(...args);
    const start = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) verifyConsistency(...args);
    return { microseconds: Number(process.hrtime.bigint() - start) / 1000 / rounds };
  },
};

let text = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (text += chunk));
process.stdin.on("end", () => process.stdout.write(JSON.stringify(commands[process.argv[2]](JSON.parse(text)))));
