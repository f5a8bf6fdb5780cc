import {
  CAPTURE_PROCESSOR_NAME,
  type CaptureCommand,
  type CaptureMessage,
  type CaptureProcessorOptions,
} from "./capture-messages.ts";
import type { AudioLevel } from "./pcm.ts";
// Bundled as a separate script (with its imports inlined) and loaded by URL, because
// `audioWorklet.addModule` needs a URL, not a module object.
import captureWorkletUrl from "./pcm-capture.worklet.ts?worker&url";

export interface TrackCaptureOptions {
  /** The source; the capture owns it from now on and stops its tracks on `stop()`. */
  stream: MediaStream;
  /** A full chunk (one second) or, on stop, the last partial one: 16-bit mono PCM. */
  onChunk: (pcm: ArrayBuffer) => void;
  onLevel?: (level: AudioLevel) => void;
  /** The source ended by itself (device unplugged, screen sharing stopped). */
  onEnded?: () => void;
}

/** How long `stop()` waits for the worklet's last partial chunk before tearing down anyway. */
const FLUSH_TIMEOUT_MS = 2_000;
const LEVELS_PER_SECOND = 20;

/**
 * The audio graph the tracks of one recording share: one AudioContext (one clock) and one
 * capture worklet node with an input per track. Closed with the last track that stops.
 */
class CaptureGraph {
  readonly context: AudioContext;
  readonly node: AudioWorkletNode;
  private readonly sink: GainNode;
  private readonly receivers = new Map<number, (message: CaptureMessage) => void>();
  private readonly flushing: number[] = [];
  private open: number;

  constructor(context: AudioContext, inputs: number) {
    this.context = context;
    this.open = inputs;
    const processorOptions: CaptureProcessorOptions = {
      chunkSamples: context.sampleRate,
      levelsPerSecond: LEVELS_PER_SECOND,
    };
    this.node = new AudioWorkletNode(context, CAPTURE_PROCESSOR_NAME, {
      numberOfInputs: inputs,
      numberOfOutputs: 1,
      outputChannelCount: [1],
      processorOptions,
    });
    this.node.port.onmessage = (event: MessageEvent<CaptureMessage>) => this.receivers.get(event.data.input)?.(event.data);
    // Some engines only run a node that leads to the destination; a muted gain keeps it
    // pulled without playing the inputs back into the speakers.
    this.sink = context.createGain();
    this.sink.gain.value = 0;
    this.node.connect(this.sink);
    this.sink.connect(context.destination);
  }

  listen(input: number, receiver: (message: CaptureMessage) => void): void {
    this.receivers.set(input, receiver);
  }

  /**
   * Flushes an input. Requests made in the same task go out as one command, so tracks
   * stopped together end on the same sample.
   */
  flush(input: number): void {
    this.flushing.push(input);
    if (this.flushing.length > 1) return;
    queueMicrotask(() => {
      const command: CaptureCommand = { type: "flush", inputs: this.flushing.splice(0) };
      this.node.port.postMessage(command);
    });
  }

  async release(input: number): Promise<void> {
    this.receivers.delete(input);
    this.open -= 1;
    if (this.open > 0) return;
    this.node.port.onmessage = null;
    this.node.disconnect();
    this.sink.disconnect();
    await this.context.close().catch(() => undefined);
  }
}

/**
 * One track's capture: MediaStream → the shared AudioContext → its input of the PCM capture
 * worklet. Chunks are exactly `sampleRate` samples (one second) of 16-bit mono at the context's
 * own sample rate, which is what the track must be declared with.
 */
export class TrackCapture {
  readonly sampleRate: number;
  private readonly graph: CaptureGraph;
  private readonly input: number;
  private readonly stream: MediaStream;
  private readonly source: MediaStreamAudioSourceNode;
  private readonly options: TrackCaptureOptions;
  private flushed: (() => void) | null = null;
  private stopping: Promise<void> | null = null;

  /**
   * Starts a capture per stream, all in one new AudioContext (at `sampleRate`, or the device's
   * rate) and one worklet node, so the tracks start on the same sample and never drift. The
   * browser resamples each input to the context's rate, so a resumed track keeps its declared
   * rate even on another device.
   */
  static async openTogether(
    streams: TrackCaptureOptions[],
    { sampleRate }: { sampleRate?: number | undefined } = {},
  ): Promise<TrackCapture[]> {
    const context = new AudioContext(sampleRate === undefined ? {} : { sampleRate });
    try {
      await context.audioWorklet.addModule(captureWorkletUrl);
      // A context made outside a user gesture starts suspended; the Record click allows this.
      if (context.state === "suspended") await context.resume();
      const graph = new CaptureGraph(context, streams.length);
      return streams.map((options, input) => new TrackCapture(graph, input, options));
    } catch (error) {
      void context.close().catch(() => undefined);
      throw error;
    }
  }

  private constructor(graph: CaptureGraph, input: number, options: TrackCaptureOptions) {
    this.graph = graph;
    this.input = input;
    this.options = options;
    this.stream = options.stream;
    this.sampleRate = graph.context.sampleRate;
    graph.listen(input, (message) => this.receive(message));
    this.source = graph.context.createMediaStreamSource(this.stream);
    this.source.connect(graph.node, 0, input);
    for (const track of this.stream.getAudioTracks()) {
      track.addEventListener("ended", this.handleEnded);
    }
  }

  /** Flushes the last partial chunk (delivered through `onChunk` before this resolves), then releases the input. */
  stop(): Promise<void> {
    this.stopping ??= this.flushAndRelease();
    return this.stopping;
  }

  private async flushAndRelease(): Promise<void> {
    const flushed = new Promise<void>((resolve) => {
      this.flushed = resolve;
    });
    this.graph.flush(this.input);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([flushed, new Promise<void>((resolve) => (timer = setTimeout(resolve, FLUSH_TIMEOUT_MS)))]);
    clearTimeout(timer);
    for (const track of this.stream.getTracks()) {
      track.removeEventListener("ended", this.handleEnded);
      track.stop();
    }
    this.source.disconnect();
    await this.graph.release(this.input);
  }

  private receive(message: CaptureMessage): void {
    switch (message.type) {
      case "chunk":
        this.options.onChunk(message.pcm);
        break;
      case "level":
        this.options.onLevel?.({ peak: message.peak, rms: message.rms });
        break;
      case "flushed":
        this.flushed?.();
        break;
    }
  }

  private readonly handleEnded = () => {
    this.options.onEnded?.();
  };
}
