/**
 * Lets concurrent callers of one read share it without reading anything older than their call: a caller
 * who arrives while the read of its key runs waits for it and joins the next one, which all callers who
 * arrived meanwhile share. So ten planners opening one dashboard at once cost two reads of its counts, not
 * ten, and each still sees every vote stored before it asked.
 */
export class SharedReads<T> {
  private readonly running = new Map<string, { done: Promise<T>; next?: Promise<T> }>();

  read(key: string, run: () => Promise<T>): Promise<T> {
    const current = this.running.get(key);
    if (current) return (current.next ??= current.done.then(noop, noop).then(() => this.start(key, run)));
    return this.start(key, run);
  }

  private start(key: string, run: () => Promise<T>): Promise<T> {
    const entry: { done: Promise<T>; next?: Promise<T> } = { done: run() };
    this.running.set(key, entry);
    const finished = () => {
      if (this.running.get(key) === entry) this.running.delete(key);
    };
    entry.done.then(finished, finished);
    return entry.done;
  }
}

const noop = () => {};
