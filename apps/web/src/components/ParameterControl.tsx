import { useEffect, useId, useState } from "react";

export interface ParameterControlProps {
  label: string;
  value: number;
  min: number;
  max: number;
  step: number;
  /** Shown after the number, e.g. "ms". */
  unit?: string;
  disabled?: boolean;
  onChange: (value: number) => void;
  testId: string;
}

/**
 * A slider and a number field for one value. The number field keeps what is being typed
 * ("0." on the way to "0.75") and passes on only numbers in range, so typing is never fought;
 * a change made elsewhere (the slider, a preset, another tab) replaces what it shows.
 */
export function ParameterControl({ label, value, min, max, step, unit, disabled, onChange, testId }: ParameterControlProps) {
  const id = useId();
  const [typed, setTyped] = useState(String(value));

  useEffect(() => {
    setTyped((current) => (Number(current) === value && current.trim() !== "" ? current : String(value)));
  }, [value]);

  return (
    <div className="parameter" data-testid={`parameter-${testId}`}>
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      <input
        type="range"
        aria-label={`${label} slider`}
        min={min}
        max={max}
        step={step}
        value={value}
        disabled={disabled}
        onChange={(event) => onChange(event.target.valueAsNumber)}
        data-testid={`param-${testId}-slider`}
      />
      <span className="parameter-number">
        <input
          id={id}
          type="number"
          inputMode="decimal"
          min={min}
          max={max}
          step={step}
          value={typed}
          disabled={disabled}
          onChange={(event) => {
            setTyped(event.target.value);
            const number = event.target.valueAsNumber;
            if (Number.isFinite(number) && number >= min && number <= max) onChange(number);
          }}
          // What is left after typing shows the value actually kept (e.g. brought into range).
          onBlur={() => setTyped(String(value))}
          data-testid={`param-${testId}`}
        />
        {unit && <span className="muted">{unit}</span>}
      </span>
    </div>
  );
}
