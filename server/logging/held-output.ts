/**
 * A log destination that holds the JSON lines written while Minyi starts and passes them on once the start-up
 * text has been printed, so a person reads plain lines first and the machine-readable log follows.
 */
export interface LogSink {
  write(chunk: string): unknown;
  flush?(callback?: (error?: Error) => void): void;
}

export class HeldOutput implements LogSink {
  private held: string[] | null = [];

  constructor(private readonly target: LogSink) {}

  write(chunk: string): boolean {
    if (this.held) this.held.push(chunk);
    else this.target.write(chunk);
    return true;
  }

  /** Writes what was held, then lets every later line through. Safe to call twice. */
  release(): void {
    const held = this.held;
    this.held = null;
    if (held?.length) this.target.write(held.join(''));
  }

  flush(callback?: (error?: Error) => void): void {
    this.release();
    if (this.target.flush) this.target.flush(callback);
    else callback?.();
  }
}
