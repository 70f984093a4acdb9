// The bundle served as /static/ledger/ledger.js: the Merkle tree checks, and the check of
// the organization's transparency log a signed-in member's pages run (web/base.html), which
// starts itself where a page carries its texts.
import { start } from "./ledger_page.js";

export * from "./merkle.js";
export * from "./log_check.js";

if (typeof document !== "undefined") start(document, window);
