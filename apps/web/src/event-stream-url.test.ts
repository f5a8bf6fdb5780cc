import { describe, expect, it } from "vitest";
import { eventStreamUrl } from "./event-stream-url.ts";

describe("eventStreamUrl", () => {
  it("uses ws on a page served over http and keeps the port", () => {
    expect(eventStreamUrl({ protocol: "http:", host: "localhost:5173" })).toBe("ws://localhost:5173/api/ws");
  });

  it("uses wss on a page served over https", () => {
    expect(eventStreamUrl({ protocol: "https:", host: "studio.example" })).toBe("wss://studio.example/api/ws");
  });
});
