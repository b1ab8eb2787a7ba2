/**
 * Whether the audit store can commit now, as its last write or probe found it. With acknowledged durability (or
 * backpressure) requests fail while it cannot, so readiness reports it; the probe notices recovery without traffic.
 */
export class StoreHealth {
  private failure: string | undefined;

  /** A write or probe committed. */
  ok(): void {
    this.failure = undefined;
  }

  /** A write or probe failed with `err`. */
  failed(err: unknown): void {
    this.failure = err instanceof Error ? err.message : String(err);
  }

  /** The last failure's message, or undefined while the store commits. */
  get problem(): string | undefined {
    return this.failure;
  }
}
