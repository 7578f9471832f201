// Runs graphql-http's GraphQL-over-HTTP server audit against the URL given as the only
// argument and prints one JSON array of {id, name, status, reason} (tests/test_http_audit.py).
import { auditServer } from "graphql-http";

const url = process.argv[2];
if (!url) {
  console.error("usage: node audit.mjs http://127.0.0.1:PORT/graphql");
  process.exit(2);
}
const results = await auditServer({ url });
const report = [];
for (const result of results) {
  const entry = { id: result.id, name: result.name, status: result.status };
  if (result.status !== "ok") {
    entry.reason = result.reason;
    entry.http = result.response.status;
    entry.body = await result.response.text();
  }
  report.push(entry);
}
process.stdout.write(JSON.stringify(report));
