/**
 * `pnpm bench:catchup`: how fast a recording that went on through a network outage reaches the
 * server once the network is back, and what recording costs the browser. In real Chromium (the
 * browser the end-to-end tests drive) with the built app and the built server, recording two
 * tracks from the fake microphone. Each round, on a fresh server and browser profile:
 *
 * 1. the browser's CPU while it records and uploads as it goes, over BENCH_CPU_SECONDS (10): every
 *    process of the browser, from /proc, in % of one core;
 * 2. the network goes away (the browser's offline emulation) for BENCH_OFFLINE_SECONDS (40) while
 *    recording goes on to the device;
 * 3. back online: how long until the server holds all but the chunk being recorded, and the
 *    chunks it took per second meanwhile (the backlog, and what was recorded during the catch-up);
 *    the server's position is read from the Node side, so the page makes no extra requests.
 *
 * Then the recording stops, and each finished WAV must hold what the device recorded.
 * Not a test: it has no target; it prints a table and a JSON line. BENCH_ROUNDS (2) rounds.
 * Run from the repository root, which builds the app and the server first.
 */
import { readdirSync, readFileSync } from "node:fs";
import { expect, test, type Page } from "@playwright/test";
import { ApiServer } from "../e2e/support/api-server.ts";
import { CrashableBrowser } from "../e2e/support/crashable-browser.ts";
import { finalTracks, sessionDetail } from "../e2e/support/final-recording.ts";
import { CHUNK_SECONDS, positions, startRecording, stopRecording, waitForLocalSeconds } from "../e2e/support/studio.ts";
import { intFromEnv } from "./bench-settings.ts";

const TRACKS = 2;
const POLL_MS = 50;

const rounds = intFromEnv("BENCH_ROUNDS", 2);
const cpuSeconds = intFromEnv("BENCH_CPU_SECONDS", 10);
const offlineSeconds = intFromEnv("BENCH_OFFLINE_SECONDS", 40);

test.describe.configure({ timeout: rounds * (cpuSeconds + offlineSeconds + 180) * 1000 });

/** Clock ticks per second of /proc's CPU times (USER_HZ): 100 on Linux everywhere it matters. */
const CLOCK_TICKS = 100;

/** User + system CPU time so far of every live process in process group `group`, in ms; null without /proc. */
function groupCpuMs(group: number): number | null {
  let ticks = 0;
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return null;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    // Fields after the parenthesised command name: pgrp is the 5th, utime and stime the 14th and 15th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) === group) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return (ticks * 1000) / CLOCK_TICKS;
}

/** Chunks the server holds of the session, over its tracks. */
async function serverChunks(page: Page, server: ApiServer, sessionId: string): Promise<number> {
  const detail = await sessionDetail(page, server, sessionId);
  return detail.tracks.reduce((sum, track) => sum + track.chunkCount, 0);
}

interface RoundResult {
  round: number;
  /** The browser's CPU while recording online, in % of one core. */
  recordingCpuPercent: number | null;
  offlineSeconds: number;
  /** Chunks the server took while the browser was offline: none, unless the emulation failed. */
  uploadedWhileOffline: number;
  /** Chunks on the device and not on the server when the network came back. */
  backlogChunks: number;
  /** From back online to the server's first new chunk. */
  firstUploadMs: number;
  /** From back online until the server holds all but the chunk being recorded. */
  catchUpSeconds: number;
  /** Chunks the server took per second from back online until it caught up. */
  chunksPerSecond: number;
  /** Seconds of audio per track in the finished files. */
  finalSeconds: number;
}

async function measureRound(round: number): Promise<RoundResult> {
  const server = await ApiServer.start();
  const browser = new CrashableBrowser();
  try {
    const context = await browser.launch();
    const page = await browser.newPage();
    await page.goto(server.url);
    const sessionId = await startRecording(page, { title: `Catch-up ${round}`, tracks: TRACKS });
    await waitForLocalSeconds(page, 3);

    const group = browser.processGroup();
    const cpuBefore = group === undefined ? null : groupCpuMs(group);
    const cpuStarted = performance.now();
    await page.waitForTimeout(cpuSeconds * 1000);
    const cpuAfter = group === undefined ? null : groupCpuMs(group);
    const recordingCpuPercent =
      cpuBefore === null || cpuAfter === null ? null : Math.round((1000 * (cpuAfter - cpuBefore)) / (performance.now() - cpuStarted)) / 10;

    await context.setOffline(true);
    const offlineStarted = performance.now();
    const heldAtOffline = await serverChunks(page, server, sessionId);
    await page.waitForTimeout(offlineSeconds * 1000);
    const heldAtOnline = await serverChunks(page, server, sessionId);
    await context.setOffline(false);
    const online = performance.now();
    const recordedAtOnline = TRACKS * (await positions(page)).localSeconds;

    let firstAt: number | null = null;
    let held = heldAtOnline;
    for (;;) {
      held = await serverChunks(page, server, sessionId);
      if (firstAt === null && held > heldAtOnline) firstAt = performance.now();
      const { localSeconds } = await positions(page);
      if (held >= TRACKS * (localSeconds - CHUNK_SECONDS)) break;
      if (performance.now() - online > 300_000) throw new Error("the server did not catch up within 5 minutes");
      await page.waitForTimeout(POLL_MS);
    }
    const caughtUp = performance.now();

    await stopRecording(page, TRACKS);
    const { localSeconds } = await positions(page);
    const tracks = await finalTracks(page, server, sessionId, TRACKS);
    for (const { wav } of tracks) expect(Math.abs(wav.seconds - localSeconds)).toBeLessThanOrEqual(CHUNK_SECONDS);

    const catchUpSeconds = (caughtUp - online) / 1000;
    return {
      round,
      recordingCpuPercent,
      offlineSeconds: Math.round((online - offlineStarted) / 100) / 10,
      uploadedWhileOffline: heldAtOnline - heldAtOffline,
      backlogChunks: recordedAtOnline - heldAtOnline,
      firstUploadMs: Math.round((firstAt ?? caughtUp) - online),
      catchUpSeconds: Math.round(catchUpSeconds * 100) / 100,
      chunksPerSecond: Math.round(((held - heldAtOnline) / catchUpSeconds) * 10) / 10,
      finalSeconds: Math.min(...tracks.map(({ wav }) => wav.seconds)),
    };
  } finally {
    await browser.close();
    await server.stop();
  }
}

test("catch-up after an outage, and the browser's CPU while recording", async () => {
  const results: RoundResult[] = [];
  for (let round = 1; round <= rounds; round += 1) results.push(await measureRound(round));

  const columns: Array<[string, (result: RoundResult) => string]> = [
    ["round", (r) => String(r.round)],
    ["browser CPU % recording", (r) => (r.recordingCpuPercent === null ? "n/a" : r.recordingCpuPercent.toFixed(1))],
    ["offline s", (r) => r.offlineSeconds.toFixed(1)],
    ["sent offline", (r) => String(r.uploadedWhileOffline)],
    ["backlog chunks", (r) => String(r.backlogChunks)],
    ["first upload ms", (r) => String(r.firstUploadMs)],
    ["catch-up s", (r) => r.catchUpSeconds.toFixed(2)],
    ["chunks/s", (r) => r.chunksPerSecond.toFixed(1)],
    ["final s/track", (r) => r.finalSeconds.toFixed(1)],
  ];
  const cells = [columns.map(([name]) => name), ...results.map((result) => columns.map(([, cell]) => cell(result)))];
  const widths = columns.map((_, index) => Math.max(...cells.map((row) => row[index]!.length)));
  const lines = cells.map((row) => row.map((cell, index) => cell.padStart(widths[index]!)).join("  "));
  lines.splice(1, 0, widths.map((width) => "-".repeat(width)).join("  "));
  console.log(
    [
      `catch-up bench: ${TRACKS} tracks, ${cpuSeconds} s of CPU measured while recording online, ${offlineSeconds} s offline, ${rounds} round(s)`,
      ...lines,
      "browser CPU: every process of the browser, in % of one core; sent offline: chunks the server took while the browser was offline (0 unless the emulation leaked); first upload: from back online to the server's first new chunk; catch-up: from back online until the server held all but the chunk being recorded; chunks/s: chunks it took per second over the catch-up.",
      JSON.stringify({ bench: "catchup", settings: { tracks: TRACKS, cpuSeconds, offlineSeconds, rounds }, results }),
    ].join("\n"),
  );
  // Figures of an outage that did not happen would mean nothing.
  for (const result of results) {
    expect(result.uploadedWhileOffline, `round ${result.round}: chunks sent while offline`).toBe(0);
    expect(result.backlogChunks, `round ${result.round}: backlog`).toBeGreaterThanOrEqual(TRACKS * (offlineSeconds - 2 * CHUNK_SECONDS));
  }
});
