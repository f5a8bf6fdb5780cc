import type { JournalSession } from "@tidemark/client";
import { describe, expect, it } from "vitest";
import { DEFAULT_MICROPHONE } from "../audio/media-sources.ts";
import { trackSummary } from "./controller-fakes.ts";
import { plannedTracks, resumePlan } from "./track-plan.ts";

const USB = { kind: "microphone", deviceId: "usb" } as const;

describe("plannedTracks", () => {
  it("records track 0 always and track 1 only when it has an input", () => {
    expect(plannedTracks({ 0: USB, 1: null })).toEqual([{ track: 0, label: "Microphone", source: USB }]);
    expect(plannedTracks({ 0: USB, 1: { kind: "display" } }).map((plan) => plan.track)).toEqual([0, 1]);
  });
});

describe("resumePlan", () => {
  it("records like a new session when the session has no track yet", () => {
    expect(resumePlan([], undefined, { 0: USB, 1: null })).toEqual([{ track: 0, label: "Microphone", source: USB }]);
  });

  it("keeps every track the server or this device knows, at its declared rate, even with track 1 switched off", () => {
    const local = {
      tracks: [{ track: 0, label: "Host", sampleRate: 44_100, channels: 1 }],
    } as unknown as JournalSession;
    const plan = resumePlan([trackSummary(1, { label: "Guest", sampleRate: 44_100 })], local, { 0: USB, 1: null });

    expect(plan).toEqual([
      { track: 0, label: "Host", sampleRate: 44_100, source: USB },
      { track: 1, label: "Guest", sampleRate: 44_100, source: DEFAULT_MICROPHONE },
    ]);
  });

  it("prefers this device's declaration of a track over the server's", () => {
    const local = { tracks: [{ track: 0, label: "Host", sampleRate: 48_000, channels: 1 }] } as unknown as JournalSession;
    const plan = resumePlan([trackSummary(0, { label: "Other", sampleRate: 48_000 })], local, { 0: USB, 1: null });
    expect(plan.map((entry) => entry.label)).toEqual(["Host"]);
  });

  it("records a switched-off second track from the input remembered for it", () => {
    const plan = resumePlan([trackSummary(0), trackSummary(1)], undefined, {
      0: USB,
      1: null,
      rememberedSecond: { kind: "display" },
    });
    expect(plan.map((entry) => entry.source)).toEqual([USB, { kind: "display" }]);
  });
});
