// PostGraphile 5 (amber preset) over the bench database, the peer in bench/reads.py.
// Installed by the bench into BENCH_PGL_DIR; BENCH_WORKERS processes share the port.
"use strict";
const cluster = require("node:cluster");
const { createServer } = require("node:http");
const { createRequire } = require("node:module");

const workers = Number(process.env.BENCH_WORKERS || "1");
if (cluster.isPrimary && workers > 1) {
  for (let i = 0; i < workers; i += 1) cluster.fork();
  cluster.on("exit", (worker, code) => {
    console.error(`postgraphile worker ${worker.process.pid} exited (${code})`);
    process.exit(1);
  });
} else {
  const load = createRequire(`${process.env.BENCH_PGL_DIR}/package.json`);
  const { postgraphile } = load("postgraphile");
  const { PostGraphileAmberPreset } = load("postgraphile/presets/amber");
  const { makePgService } = load("postgraphile/adaptors/pg");
  const { grafserv } = load("postgraphile/grafserv/node");
  const port = Number(process.env.BENCH_PORT);
  const preset = {
    extends: [PostGraphileAmberPreset],
    pgServices: [makePgService({
      connectionString: process.env.BENCH_DATABASE_URL,
      schemas: ["public"],
      poolConfig: { max: 20 },
    })],
    grafserv: { port, host: "127.0.0.1", graphqlPath: "/graphql", watch: false },
    grafast: { explain: false },
  };
  const serv = postgraphile(preset).createServ(grafserv);
  const server = createServer();
  server.on("error", (error) => {
    console.error(error);
    process.exit(1);
  });
  serv.addTo(server).then(() => server.listen(port, "127.0.0.1"), (error) => {
    console.error(error);
    process.exit(1);
  });
}
