/** A value that is set once and awaited by any number of callers (runwasi's WaitableCell). */
export class Deferred<T> {
  readonly promise: Promise<T>;
  #resolve!: (value: T) => void;
  #value: { readonly set: false } | { readonly set: true; readonly value: T } = { set: false };

  constructor() {
    this.promise = new Promise<T>((resolve) => (this.#resolve = resolve));
  }

  /** Sets the value; later calls are ignored and answer false. */
  resolve(value: T): boolean {
    if (this.#value.set) return false;
    this.#value = { set: true, value };
    this.#resolve(value);
    return true;
  }

  /** The value, without waiting; undefined until it is set. */
  peek(): T | undefined {
    return this.#value.set ? this.#value.value : undefined;
  }
}
