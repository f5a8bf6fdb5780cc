import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App.tsx";
import { api } from "./api.ts";
import { eventStreamUrl } from "./event-stream-url.ts";
import { startLiveSessions } from "./live-sessions.ts";
import { registerAppShell } from "./offline/register-app-shell.ts";
import { pagePersistence } from "./persistence/page-persistence.ts";
import { exposePersistence } from "./persistence/page-hook-persistence.ts";
import { recordingRuntime } from "./recording/recording-runtime.ts";
import { startRecordingRuntime } from "./recording/start-recording-runtime.ts";
import { useStore } from "./store/index.ts";
import "./styles.css";

// Started beside the store, not inside a component, so React's re-renders and StrictMode's
// double effects cannot open a second event stream or a second uploader. The saved state and
// recovery detection on this device start first: they need no network.
void pagePersistence.start();
exposePersistence(pagePersistence);
registerAppShell();
const recording = startRecordingRuntime({ store: useStore, runtime: recordingRuntime });
startLiveSessions({
  store: useStore,
  api,
  eventStreamUrl: eventStreamUrl(window.location),
  onDeviceReady: () => {
    recording.deviceReady();
    void pagePersistence.deviceReady();
  },
  onEvent: (event) => pagePersistence.handleEvent(event),
  onResync: () => pagePersistence.resync(),
});

const container = document.getElementById("root");
if (!container) throw new Error("The page has no #root element to render into.");

createRoot(container).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
