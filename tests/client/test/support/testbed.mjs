// Starts edfleet-gateway-testbed (services/gateway/tests/testbed) and reads its endpoints and
// credentials; commands go to its stdin. Binaries come from $EDFLEET_BIN_DIR (ctest sets it), else
// the default build directory.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");

export function binDir() {
  if (process.env.EDFLEET_BIN_DIR) return process.env.EDFLEET_BIN_DIR;
  for (const candidate of ["build", "build-gateway"]) {
    const dir = join(repo, candidate, "bin");
    if (existsSync(join(dir, "edfleet-gateway-testbed"))) return dir;
  }
  throw new Error("set EDFLEET_BIN_DIR to the directory holding edfleet-gateway-testbed");
}

export async function startTestbed({ timeoutMs = 90_000 } = {}) {
  const dir = binDir();
  const child = spawn(join(dir, "edfleet-gateway-testbed"), [], {
    env: { ...process.env, EDFLEET_BIN_DIR: dir },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
    if (stderr.length > 20_000) stderr = stderr.slice(-20_000);
  });
  const lines = createInterface({ input: child.stdout });
  const pending = [];
  const queued = [];
  lines.on("line", (line) => {
    const waiter = pending.shift();
    if (waiter) waiter(line);
    else queued.push(line);
  });
  const nextLine = (what) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`testbed: no ${what} after ${timeoutMs} ms\n${stderr}`)), timeoutMs);
      const exited = (code) => reject(new Error(`testbed exited (${code}) before ${what}\n${stderr}`));
      child.once("exit", exited);
      const take = (line) => {
        clearTimeout(timer);
        child.off("exit", exited);
        resolve(line);
      };
      if (queued.length > 0) take(queued.shift());
      else pending.push(take);
    });

  const info = JSON.parse(await nextLine("endpoints"));
  return {
    info,
    // Sends a command and waits for its answer.
    async command(text) {
      child.stdin.write(text + "\n");
      const answer = JSON.parse(await nextLine(`answer to "${text}"`));
      if (!answer.ok) throw new Error(`testbed refused "${text}": ${answer.error}`);
      return answer;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.stdin.end();
      const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
