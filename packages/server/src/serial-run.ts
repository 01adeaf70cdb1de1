/**
 * One piece of background work that runs one at a time: asked while it runs, it runs once more
 * when it ends (while `more()` still says so), so nothing asked for is missed and two runs never
 * overlap. The outbox's channels and the witnesses each deliver through one.
 */
export class SerialRun {
  readonly #work: () => Promise<void>
  readonly #more: () => boolean
  #running: Promise<void> | undefined
  #again = false

  constructor(work: () => Promise<void>, more: () => boolean) {
    this.#work = work
    this.#more = more
  }

  /** The run in progress, if any. */
  get running(): Promise<void> | undefined {
    return this.#running
  }

  /** Runs the work now, or once more after the run in progress; resolves when that run ends. */
  run(): Promise<void> {
    if (this.#running !== undefined) {
      this.#again = true
      return this.#running
    }
    this.#running = (async () => {
      do {
        this.#again = false
        await this.#work()
      } while (this.#again && this.#more())
    })().finally(() => { this.#running = undefined })
    return this.#running
  }
}
