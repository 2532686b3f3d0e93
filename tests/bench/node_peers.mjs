// The JavaScript peers on the same files, each in its own process (peak RSS is measured outside).
//
//   node node_peers.mjs <node_modules dir> <peer> <file> [chunk bytes]
//
// peer: streamparser (@streamparser/json JSONParser, every value, keepStack off),
//       stream-json (its parser(), every token, packed values), or json-parse (JSON.parse of the
//       whole file: the native ceiling, unbounded memory).  NDJSON (".ndjson") is parsed as a
//       stream of values.  Reading the file is inside the timed section, as for every runner.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [modules, peer, file, chunkArg] = process.argv.slice(2);
const chunk = Number(chunkArg || 1 << 20);
const ndjson = file.endsWith(".ndjson");
const load = (spec) => import(pathToFileURL(path.join(modules, spec)).href);

async function streamparser() {
  const { JSONParser } = await load("@streamparser/json/dist/mjs/index.js");
  const parser = new JSONParser({ keepStack: false, ...(ndjson ? { separator: "" } : {}) });
  let values = 0;
  parser.onValue = () => { values += 1; };
  for await (const buf of fs.createReadStream(file, { highWaterMark: chunk })) parser.write(buf);
  if (!parser.isEnded) parser.end();
  return { values };
}

async function streamJson() {
  const { parser } = await load("stream-json/src/parser.js");
  const tokens = parser.asStream({ jsonStreaming: ndjson, packValues: true, streamValues: false });
  let count = 0;
  tokens.on("data", () => { count += 1; });
  const done = new Promise((resolve, reject) => { tokens.on("end", resolve); tokens.on("error", reject); });
  fs.createReadStream(file, { highWaterMark: chunk }).pipe(tokens);
  await done;
  return { tokens: count };
}

async function jsonParse() {
  const text = fs.readFileSync(file, "utf8");
  const values = ndjson ? text.split("\n").filter((l) => l).map((l) => JSON.parse(l)) : [JSON.parse(text)];
  return { values: values.length };
}

const PEERS = { streamparser, "stream-json": streamJson, "json-parse": jsonParse };
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const res = await PEERS[peer]();
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const bytes = fs.statSync(file).size;
console.log("BENCH " + JSON.stringify({ ...res, bytes, seconds, mb_per_s: bytes / 1048576 / seconds,
  cpu_seconds: (cpu.user + cpu.system) / 1e6, node: process.version }));
