/** The last `limit` answers by request id, oldest forgotten first: what a feedback label is matched against. */
export class RecentAnswers<V> {
  private readonly entries = new Map<string, V>();
  constructor(private readonly limit: number) {}

  set(id: string, value: V): void {
    this.entries.delete(id);
    this.entries.set(id, value);
    if (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value as string);
  }

  get(id: string): V | undefined {
    return this.entries.get(id);
  }
}
