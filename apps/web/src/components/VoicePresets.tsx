import type { FormEvent } from "react";
import { useState } from "react";
import { VOICE_NAME_MAX_LENGTH } from "../store/voices-slice.ts";
import { useStore } from "../store/index.ts";
import { ENGINE_LABELS } from "../synthesis/voices.ts";

/** Named presets of engine, voice and parameters: save the current setup, apply or delete one. */
export function VoicePresets({ disabled }: { disabled: boolean }) {
  const presets = useStore((s) => s.savedVoices);
  const error = useStore((s) => s.voicePresetError);
  const save = useStore((s) => s.saveVoicePreset);
  const apply = useStore((s) => s.applyVoicePreset);
  const remove = useStore((s) => s.deleteVoicePreset);
  const [name, setName] = useState("");

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (save(name)) setName("");
  }

  return (
    <section className="voice-presets" aria-labelledby="voice-presets-heading">
      <h3 id="voice-presets-heading" className="subsection-title">
        Voice presets
      </h3>
      <form className="inline-form" onSubmit={handleSubmit}>
        <label className="field field-grow">
          <span className="field-label">Save the current voice and parameters as</span>
          <input
            type="text"
            value={name}
            maxLength={VOICE_NAME_MAX_LENGTH}
            placeholder="Narrator, calm"
            disabled={disabled}
            onChange={(event) => setName(event.target.value)}
            data-testid="preset-name"
          />
        </label>
        <button type="submit" className="button" disabled={disabled} data-testid="preset-save">
          Save preset
        </button>
      </form>
      {error !== null && (
        <p className="form-error" role="alert" data-testid="preset-error">
          {error}
        </p>
      )}
      {presets.length > 0 && (
        <ul className="preset-list" data-testid="preset-list">
          {presets.map((preset) => (
            <li key={preset.id} className="preset" data-testid="preset-item" data-preset-id={preset.id}>
              <span className="preset-name">{preset.name}</span>
              <span className="muted">
                {ENGINE_LABELS[preset.engine]} · {preset.voice} · rate {preset.parameters.rate}
              </span>
              <span className="preset-actions">
                <button type="button" className="button" disabled={disabled} onClick={() => apply(preset.id)} data-testid="preset-apply">
                  Apply
                </button>
                <button
                  type="button"
                  className="button button-quiet"
                  disabled={disabled}
                  aria-label={`Delete preset ${preset.name}`}
                  onClick={() => remove(preset.id)}
                  data-testid="preset-delete"
                >
                  Delete
                </button>
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
