/**
 * Runs the work given for one key one after another within this process, so that a burst of
 * parallel requests meets what the earlier ones left behind (a count, a limit) instead of all
 * passing the same check together. Keys are forgotten when their queue is empty.
 */
export class KeyedSerializer {
  private readonly inFlight = new Map<string, Promise<void>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.inFlight.get(key) ?? Promise.resolve();
    const run = previous.then(work, work);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.inFlight.set(key, settled);
    void settled.then(() => {
      if (this.inFlight.get(key) === settled) this.inFlight.delete(key);
    });
    return run;
  }
}
