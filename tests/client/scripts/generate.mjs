// Generates JavaScript for edfleet's protos (and the gRPC health proto) with protoc and
// @bufbuild/protoc-gen-es into gen/ (never committed). Runs before the tests.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const repoProto = join(here, "..", "..", "proto");
const localProto = join(here, "proto");
const out = join(here, "gen");

// The .proto files under `root`, as paths relative to it.
function protos(root, dir = root) {
  const found = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found.push(...protos(root, path));
    else if (entry.endsWith(".proto")) found.push(relative(root, path));
  }
  return found;
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const plugin = join(here, "node_modules", ".bin", "protoc-gen-es");
for (const [root, files] of [[repoProto, protos(repoProto)], [localProto, protos(localProto)]]) {
  execFileSync(
    "protoc",
    [`--plugin=protoc-gen-es=${plugin}`, `--es_out=${out}`, "--es_opt=target=js+dts,import_extension=js",
     `--proto_path=${root}`, ...files],
    { stdio: "inherit" },
  );
}
console.log(`generated ${out}`);
