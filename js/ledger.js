// The bundle served as /static/ledger/ledger.js: the Merkle tree checks a ledger page runs
// against the tree heads and proofs the server sends, without the escrow bundle.
export * from "./merkle.js";
