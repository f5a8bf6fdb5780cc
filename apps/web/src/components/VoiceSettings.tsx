import { SynthesisEngineSchema, type SynthesisEngine } from "@tidemark/shared";
import { useId } from "react";
import { VOICE_NAME_MAX_LENGTH } from "../store/voices-slice.ts";
import { useStore } from "../store/index.ts";
import { ENGINE_LABELS, FLITE_VOICES, useBrowserVoices } from "../synthesis/voices.ts";
import { ParameterControl } from "./ParameterControl.tsx";

/** Engine, voice and the parameters the text is spoken with. */
export function VoiceSettings({ disabled }: { disabled: boolean }) {
  const engine = useStore((s) => s.engine);
  const voice = useStore((s) => s.voice);
  const setEngine = useStore((s) => s.setEngine);
  const selectVoice = useStore((s) => s.selectVoice);
  const browserVoices = useBrowserVoices(engine === "browser");
  const voiceListId = useId();
  const voices = engine === "flite" ? FLITE_VOICES : browserVoices;

  return (
    <fieldset className="voice-settings" disabled={disabled}>
      <legend className="subsection-title">Voice</legend>
      <div className="voice-row">
        <label className="field">
          <span className="field-label">Engine</span>
          <select
            value={engine}
            onChange={(event) => setEngine(event.target.value as SynthesisEngine)}
            data-testid="synthesis-engine"
          >
            {SynthesisEngineSchema.options.map((option) => (
              <option key={option} value={option}>
                {ENGINE_LABELS[option]}
              </option>
            ))}
          </select>
        </label>
        <label className="field field-grow">
          <span className="field-label">Voice</span>
          <input
            type="text"
            list={voiceListId}
            value={voice}
            maxLength={VOICE_NAME_MAX_LENGTH}
            onChange={(event) => selectVoice(event.target.value)}
            data-testid="synthesis-voice"
          />
          <datalist id={voiceListId}>
            {voices.map((name) => (
              <option key={name} value={name} />
            ))}
          </datalist>
        </label>
      </div>
      <Parameters disabled={disabled} />
    </fieldset>
  );
}

function Parameters({ disabled }: { disabled: boolean }) {
  const rate = useStore((s) => s.parameters.rate);
  const pitch = useStore((s) => s.parameters.pitch);
  const volume = useStore((s) => s.parameters.volume);
  const pause = useStore((s) => s.parameters.paragraphPauseMs);
  const update = useStore((s) => s.updateParameters);
  const reset = useStore((s) => s.resetParameters);

  return (
    <div className="parameters" data-testid="synthesis-parameters">
      <ParameterControl label="Rate" value={rate} min={0.5} max={2} step={0.05} unit="×" disabled={disabled} onChange={(value) => update({ rate: value })} testId="rate" />
      <ParameterControl label="Pitch" value={pitch} min={0.5} max={2} step={0.05} unit="×" disabled={disabled} onChange={(value) => update({ pitch: value })} testId="pitch" />
      <ParameterControl label="Volume" value={volume} min={0} max={1} step={0.05} disabled={disabled} onChange={(value) => update({ volume: value })} testId="volume" />
      <ParameterControl
        label="Pause between paragraphs"
        value={pause}
        min={0}
        max={5_000}
        step={50}
        unit="ms"
        disabled={disabled}
        onChange={(value) => update({ paragraphPauseMs: value })}
        testId="paragraph-pause"
      />
      <button type="button" className="button button-quiet" disabled={disabled} onClick={reset} data-testid="parameters-reset">
        Reset to defaults
      </button>
    </div>
  );
}
