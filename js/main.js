// The bundle served as /static/escrow/escrow.js: the construction (for the test suite's
// vectors) and the pages' script, which starts itself where a page carries its setup.
import { start } from "./page.js";

export * from "./escrow.js";
export * from "./identifiers.js";

if (typeof document !== "undefined") start(document);
