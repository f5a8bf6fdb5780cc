import type { EventClientStatus } from "@tidemark/client";
import type { StateCreator } from "zustand";
import type { AppState } from "./app-store.ts";

export interface ConnectionSlice {
  /** State of the live event stream, so the page can say whether the list is live. */
  liveStatus: EventClientStatus;
  setLiveStatus: (status: EventClientStatus) => void;
}

export const createConnectionSlice: StateCreator<AppState, [], [], ConnectionSlice> = (set) => ({
  liveStatus: "closed",
  setLiveStatus: (liveStatus) => set({ liveStatus }),
});
