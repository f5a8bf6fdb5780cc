import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, test, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { ApiServer, freePort, waitFor } from "./api-server.ts";
import { CHROMIUM_FLAGS, chromiumExecutable } from "./chromium.ts";

/** 10.28 s of speech, 48 kHz mono: a microphone whose content is known. */
export const SPEECH_WAV = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/speech-48k.wav");

export const FAKE_MEDIA_FLAGS = [
  "--use-fake-ui-for-media-stream",
  "--use-fake-device-for-media-stream",
  `--use-file-for-fake-audio-capture=${SPEECH_WAV}`,
  // Recording must go on in a tab the test is not looking at.
  "--disable-background-timer-throttling",
  "--disable-renderer-backgrounding",
  "--autoplay-policy=no-user-gesture-required",
];

/**
 * A real Chromium process with a persistent profile, driven over CDP, that a test can SIGKILL
 * (a browser crash: nothing is flushed, no unload handlers run) and start again on the same
 * profile, where IndexedDB must still hold what was committed.
 */
export class CrashableBrowser {
  readonly profileDir = mkdtempSync(path.join(tmpdir(), "tidemark-e2e-profile-"));
  private process: ChildProcess | undefined;
  private browser: Browser | undefined;

  async launch(): Promise<BrowserContext> {
    const port = await freePort();
    const child = spawn(
      chromiumExecutable(),
      [...CHROMIUM_FLAGS, ...FAKE_MEDIA_FLAGS, `--user-data-dir=${this.profileDir}`, `--remote-debugging-port=${port}`, "about:blank"],
      // Its own process group: the `chromium` on PATH may be a wrapper script, and a crash
      // must take down the real browser and all its helpers at once.
      { stdio: "ignore", detached: true },
    );
    this.process = child;
    const endpoint = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${endpoint}/json/version`).catch(() => null))?.ok === true, 20_000, "Chromium DevTools");
    this.browser = await chromium.connectOverCDP(endpoint);
    const context = this.browser.contexts()[0];
    if (!context) throw new Error("Chromium started without a default context");
    return context;
  }

  async newPage(): Promise<Page> {
    const context = this.browser?.contexts()[0];
    if (!context) throw new Error("Browser not launched");
    const [blank] = context.pages();
    return blank ?? context.newPage();
  }

  /** The process group of the running browser and all its helper processes (its leader's pid). */
  processGroup(): number | undefined {
    const child = this.process;
    return child && child.exitCode === null ? child.pid : undefined;
  }

  /** SIGKILL the whole browser process. */
  async crash(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    process.kill(-child.pid!, "SIGKILL");
    await exited;
    await waitFor(() => !processGroupAlive(child.pid!), 10_000, "Chromium processes to exit");
    this.process = undefined;
    this.browser = undefined;
  }

  async close(): Promise<void> {
    await this.browser?.close().catch(() => undefined);
    await this.crash();
    rmSync(this.profileDir, { recursive: true, force: true });
  }
}

function processGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A fresh server (the built API on its own data directory) and a crashable Chromium for every
 * test of the file, both stopped after it. Read them through the getters inside a test.
 */
export function serverAndCrashableBrowserPerTest(serverEnv: Record<string, string> = {}) {
  let server: ApiServer | undefined;
  let browser: CrashableBrowser | undefined;
  test.beforeEach(async () => {
    server = await ApiServer.start(serverEnv);
    browser = new CrashableBrowser();
  });
  test.afterEach(async () => {
    await browser?.close();
    await server?.stop();
  });
  return {
    server: () => required(server, "server"),
    browser: () => required(browser, "browser"),
  };
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`The ${what} is started for each test; read it inside one.`);
  return value;
}
