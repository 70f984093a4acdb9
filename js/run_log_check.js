// node js/run_log_check.js messages|signatures|visits < input.json : the browser's check of a
// transparency log (js/log_check.js, js/merkle.js), as JSON, for
// tests/ledger/test_log_check_node.py to compare with the server's checks.
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { checkLog, cosignatureMessage, verifySignature } from "./ledger.js";

// A Storage kept in memory, as localStorage is between visits.
class MemoryStorage {
  constructor() {
    this.items = new Map();
  }
  getItem(key) {
    return this.items.has(key) ? this.items.get(key) : null;
  }
  setItem(key, value) {
    this.items.set(key, String(value));
  }
}

// What the server answers on one visit: `answers` by path, else `statuses` (an HTTP error),
// else 404 as the server answers a proof it cannot give.
function server({ answers = {}, statuses = {} }) {
  return async (path) => {
    if (path in answers) return structuredClone(answers[path]);
    const error = new Error(`HTTP ${statuses[path] ?? 404}`);
    error.status = statuses[path] ?? 404;
    throw error;
  };
}

const commands = {
  // The cosignature message as hex, or the refusal's message.
  messages: ({ heads }) =>
    heads.map(({ origin, size, root, timestamp, witness_timestamp }) => {
      try {
        return bytesToHex(cosignatureMessage({ origin, size, rootHash: hexToBytes(root), timestamp }, witness_timestamp));
      } catch (error) {
        if (!(error instanceof TypeError)) throw error;
        return { error: error.message };
      }
    }),
  signatures: ({ cases }) => cases.map(([key, message, signature]) => verifySignature(hexToBytes(key), hexToBytes(message), hexToBytes(signature))),
  // Each scenario is one browser's visits in turn; each visit's result.
  visits: async ({ scenarios }) => {
    const results = [];
    for (const visits of scenarios) {
      const storage = new MemoryStorage();
      const seen = [];
      for (const [index, visit] of visits.entries()) {
        seen.push(await checkLog({ fetchJson: server(visit), storage, now: () => index }));
      }
      results.push(seen);
    }
    return results;
  },
};

let text = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (text += chunk));
process.stdin.on("end", async () => process.stdout.write(JSON.stringify(await commands[process.argv[2]](JSON.parse(text)))));
