import { CreateSessionForm } from "./components/CreateSessionForm.tsx";
import { ErrorAlert } from "./components/ErrorAlert.tsx";
import { LiveIndicator } from "./components/LiveIndicator.tsx";
import { OfflineBanner } from "./components/OfflineBanner.tsx";
import { Recorder } from "./components/Recorder.tsx";
import { RecoveryBanner } from "./components/RecoveryBanner.tsx";
import { SessionHistory } from "./components/SessionHistory.tsx";

export function App() {
  return (
    <div className="app">
      <header className="app-header">
        <h1 className="app-title">Tidemark</h1>
        <LiveIndicator />
      </header>
      <main className="app-main">
        <OfflineBanner />
        <ErrorAlert />
        <RecoveryBanner />
        <Recorder />
        <SessionHistory />
        <CreateSessionForm />
      </main>
    </div>
  );
}
