/**
 * Audio worklet that turns each input into 16-bit mono PCM chunks on the audio thread, so the
 * main thread never touches per-sample work and a busy page cannot make the recording skip.
 * Bundled on its own (see track-capture.ts); it may import only DOM-free modules.
 *
 * One node has one input per track. Every `process()` call takes the same render quantum from
 * all inputs, so the tracks stay sample-aligned by construction: same start, same length.
 */
import {
  CAPTURE_PROCESSOR_NAME,
  type CaptureCommand,
  type CaptureMessage,
  type CaptureProcessorOptions,
} from "./capture-messages.ts";
import { LevelMeter, PcmChunkAccumulator, downmixToMono } from "./pcm.ts";

// The AudioWorkletGlobalScope is not part of TypeScript's DOM library.
declare const sampleRate: number;
declare abstract class AudioWorkletProcessor {
  readonly port: MessagePort;
  constructor(options?: { numberOfInputs?: number; processorOptions?: unknown });
}
declare function registerProcessor(
  name: string,
  processor: new (options: { numberOfInputs?: number; processorOptions?: unknown }) => AudioWorkletProcessor,
): void;

/** Frames per `process()` call, fixed by the Web Audio spec. */
const RENDER_QUANTUM_FRAMES = 128;

interface InputCapture {
  chunks: PcmChunkAccumulator;
  meter: LevelMeter;
  flushed: boolean;
}

class PcmCaptureProcessor extends AudioWorkletProcessor {
  private readonly inputs: InputCapture[] = [];

  constructor(options: { numberOfInputs?: number; processorOptions?: unknown }) {
    super(options);
    const settings = options.processorOptions as Partial<CaptureProcessorOptions> | undefined;
    const chunkSamples = settings?.chunkSamples ?? sampleRate;
    const levelsPerSecond = settings?.levelsPerSecond ?? 20;
    for (let input = 0; input < (options.numberOfInputs ?? 1); input++) {
      this.inputs.push({
        chunks: new PcmChunkAccumulator(chunkSamples, (pcm) => this.post({ type: "chunk", input, pcm }, [pcm])),
        meter: new LevelMeter(sampleRate / levelsPerSecond, ({ peak, rms }) => this.post({ type: "level", input, peak, rms })),
        flushed: false,
      });
    }
    this.port.onmessage = (event: MessageEvent<CaptureCommand>) => {
      if (event.data.type === "flush") for (const input of event.data.inputs) this.flush(input);
    };
  }

  process(inputs: Float32Array[][]): boolean {
    let open = false;
    this.inputs.forEach((capture, index) => {
      if (capture.flushed) return;
      open = true;
      const channels = inputs[index] ?? [];
      // Silence is recorded too when an input has no channels (its source has not started),
      // so no track ever falls behind another.
      const mono = downmixToMono(channels, channels[0]?.length ?? RENDER_QUANTUM_FRAMES);
      capture.chunks.push(mono);
      capture.meter.push(mono);
    });
    return open;
  }

  private flush(input: number): void {
    const capture = this.inputs[input];
    if (!capture || capture.flushed) return;
    capture.flushed = true;
    capture.chunks.flush();
    this.post({ type: "flushed", input });
  }

  private post(message: CaptureMessage, transfer: Transferable[] = []): void {
    this.port.postMessage(message, transfer);
  }
}

registerProcessor(CAPTURE_PROCESSOR_NAME, PcmCaptureProcessor);
