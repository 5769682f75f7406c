// node validate.mjs FILE...: parse each AsyncAPI document with the official parser (@asyncapi/parser)
// and print one JSON line per file: {"file", "valid", "errors": [...], "warnings": n, "channels", "messages"}.
import { readFileSync } from "node:fs";
import { Parser } from "@asyncapi/parser";

const parser = new Parser();
let failed = false;
for (const file of process.argv.slice(2)) {
  const { document, diagnostics } = await parser.parse(readFileSync(file, "utf8"));
  const errors = diagnostics.filter((d) => d.severity === 0)
    .map((d) => `${d.code}: ${d.message} at ${d.path.join(".")}`);
  const result = { file, valid: document !== undefined && errors.length === 0, errors,
    warnings: diagnostics.filter((d) => d.severity === 1).map((d) => `${d.code}: ${d.message} at ${d.path.join(".")}`) };
  if (document) {
    result.version = document.version();
    result.channels = document.channels().all().map((c) => c.address()).sort();
    result.messages = document.components().messages().all().map((m) => m.id()).sort();
    result.operations = document.operations().all().map((o) => `${o.action()} ${o.channels().all()[0].address()}`).sort();
  }
  failed ||= !result.valid;
  console.log(JSON.stringify(result));
}
process.exit(failed ? 1 : 0);
