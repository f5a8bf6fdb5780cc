import { CreateSessionForm } from "./components/CreateSessionForm.tsx";
import { ErrorAlert } from "./components/ErrorAlert.tsx";
import { LiveIndicator } from "./components/LiveIndicator.tsx";
import { SessionList } from "./components/SessionList.tsx";

export function App() {
  return (
    <div className="app">
      <header className="app-header">
        <h1 className="app-title">Tidemark</h1>
        <LiveIndicator />
      </header>
      <main className="app-main">
        <ErrorAlert />
        <CreateSessionForm />
        <SessionList />
      </main>
    </div>
  );
}
