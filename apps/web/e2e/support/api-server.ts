import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const serverEntry = path.resolve(webDir, "../api/dist/server.js");

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/**
 * The built API (serving the built web app) as a child process that a test can SIGKILL and
 * start again on the same port and data directory, like a server crash and restart.
 */
export class ApiServer {
  private child: ChildProcess | undefined;
  readonly dataDir = mkdtempSync(path.join(tmpdir(), "tidemark-e2e-data-"));
  private readonly backups: string[] = [];

  private constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  static async start(env: Record<string, string> = {}): Promise<ApiServer> {
    const server = new ApiServer(await freePort(), env);
    await server.start();
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, [serverEntry], {
      env: {
        ...process.env,
        PORT: String(this.port),
        HOST: "127.0.0.1",
        DATA_DIR: this.dataDir,
        WEB_DIST_DIR: path.join(webDir, "dist"),
        LOG_LEVEL: "warn",
        ...this.env,
      },
      stdio: ["ignore", "inherit", "inherit"],
    });
    this.child = child;
    await waitFor(async () => (await fetch(`${this.url}/api/health`).catch(() => null))?.ok === true, 20_000, "API health");
  }

  /** A crash: no shutdown hooks run. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    this.child = undefined;
  }

  async stop(): Promise<void> {
    await this.kill();
    for (const dir of [this.dataDir, ...this.backups]) rmSync(dir, { recursive: true, force: true });
  }

  /** Copies the data directory as it is now, as a backup would; the server must be down. */
  backUp(): string {
    this.assertDown();
    const backup = mkdtempSync(path.join(tmpdir(), "tidemark-e2e-backup-"));
    this.backups.push(backup);
    cpSync(this.dataDir, backup, { recursive: true });
    return backup;
  }

  /** Puts a backup in place of the data directory, losing everything since; the server must be down. */
  restore(backup: string): void {
    this.assertDown();
    rmSync(this.dataDir, { recursive: true, force: true });
    cpSync(backup, this.dataDir, { recursive: true });
  }

  private assertDown(): void {
    if (this.child && this.child.exitCode === null) throw new Error("stop the server before copying its data directory");
  }

  /** Where the finalized WAV of a track lands. */
  wavPath(sessionId: string, track: number): string {
    return path.join(this.dataDir, "sessions", sessionId, `track-${track}.wav`);
  }
}

export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
}
