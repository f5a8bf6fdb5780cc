import { AutoSaveIndicator } from "./components/AutoSaveIndicator.tsx";
import { CreateSessionForm } from "./components/CreateSessionForm.tsx";
import { ErrorAlert } from "./components/ErrorAlert.tsx";
import { LiveIndicator } from "./components/LiveIndicator.tsx";
import { OfflineBanner } from "./components/OfflineBanner.tsx";
import { PersistenceNotices } from "./components/PersistenceNotices.tsx";
import { Recorder } from "./components/Recorder.tsx";
import { RecoveryBanner } from "./components/RecoveryBanner.tsx";
import { RecoveryButton, RecoveryModal } from "./components/RecoveryModal.tsx";
import { SessionHistory } from "./components/SessionHistory.tsx";
import { Settings } from "./components/Settings.tsx";
import { SynthesisSetup } from "./components/SynthesisSetup.tsx";

export function App() {
  return (
    <div className="app">
      <header className="app-header">
        <h1 className="app-title">Tidemark</h1>
        <div className="app-header-status">
          <AutoSaveIndicator />
          <RecoveryButton />
          <LiveIndicator />
        </div>
      </header>
      <main className="app-main">
        <OfflineBanner />
        <ErrorAlert />
        <PersistenceNotices />
        <RecoveryBanner />
        <Recorder />
        <SynthesisSetup />
        <SessionHistory />
        <CreateSessionForm />
        <Settings />
      </main>
      <RecoveryModal />
    </div>
  );
}
