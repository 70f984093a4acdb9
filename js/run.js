// node js/run.js vectors|normalize|elements < input.json : the browser code's answers, as JSON,
// for the test suite to compare with the Python implementation.
import { hexToBytes } from "@noble/hashes/utils.js";
import { decodeElement, InvalidElement, runVectors } from "./escrow.js";
import { IdentifierError, normalize } from "./identifiers.js";

const commands = {
  vectors: (vectors) => runVectors(vectors),
  normalize: ({ rules, region, cases }) =>
    cases.map(([kind, text]) => {
      try {
        return { canonical: normalize(rules, kind, text, region) };
      } catch (error) {
        if (!(error instanceof IdentifierError)) throw error;
        return { error: error.message };
      }
    }),
  // For each hex encoding: null if decodeElement accepts it, else its refusal.
  elements: (encodings) =>
    encodings.map((hex) => {
      try {
        decodeElement(hexToBytes(hex));
        return null;
      } catch (error) {
        if (!(error instanceof InvalidElement)) throw error;
        return error.message;
      }
    }),
};

let text = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (text += chunk));
process.stdin.on("end", () => process.stdout.write(JSON.stringify(commands[process.argv[2]](JSON.parse(text)))));
