// node js/run-vectors.js < vectors.json : the browser construction's answers, as JSON.
import { runVectors } from "./escrow.js";

let text = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (text += chunk));
process.stdin.on("end", () => process.stdout.write(JSON.stringify(runVectors(JSON.parse(text)))));
