import { DEFAULT_PREFERENCES, type DeviceChoices } from "@tidemark/shared";
import type { StateCreator } from "zustand";
import type { AppState } from "./app-store.ts";

export interface PreferencesSlice {
  /** The recording inputs last picked, remembered across page loads (see recording/device-choices.ts). */
  devices: DeviceChoices;
  /** Show "Recovery available" on page load; off means recovery waits behind a small button. */
  recoveryPrompts: boolean;

  setDeviceChoices: (change: Partial<DeviceChoices>) => void;
  setRecoveryPrompts: (enabled: boolean) => void;
}

export const createPreferencesSlice: StateCreator<AppState, [], [], PreferencesSlice> = (set) => ({
  devices: DEFAULT_PREFERENCES.devices,
  recoveryPrompts: DEFAULT_PREFERENCES.recoveryPrompts,

  setDeviceChoices: (change) =>
    set((state) => {
      const devices = { ...state.devices, ...change };
      if (devices.microphoneId === state.devices.microphoneId && devices.secondInput === state.devices.secondInput) return {};
      return { devices };
    }),
  setRecoveryPrompts: (recoveryPrompts) => set({ recoveryPrompts }),
});
