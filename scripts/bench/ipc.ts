/**
 * Benchmark plumbing (bench only, never part of the app): a tiny request/reply
 * protocol over the Node IPC channel between scripts/bench/main.ts and the
 * processes it forks (demo-process.ts, app-process.ts, floor-process.ts, layers-process.ts).
 *
 * - Every call has a timeout; a child that exits fails its pending calls.
 * - A child exits by itself when the parent goes away (IPC `disconnect`), so a
 *   killed benchmark never leaves servers behind.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

interface IpcRequest {
  readonly id: number;
  readonly op: string;
  readonly arg?: unknown;
}

interface IpcReply {
  readonly id: number;
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: string;
}

interface ReadyMessage {
  readonly ready: true;
  readonly info: Record<string, unknown>;
}

export type IpcHandlers = Record<string, (arg: unknown) => unknown>;

/** Child side: answers the parent's calls; exits when the parent disconnects. */
export function serveIpc(handlers: IpcHandlers, info: Record<string, unknown> = {}): void {
  if (!process.send) throw new Error('this script is started by scripts/bench/main.ts (it needs an IPC channel)');
  process.on('message', (message: IpcRequest) => {
    const handler = handlers[message.op];
    void (async () => {
      let reply: IpcReply;
      try {
        if (!handler) throw new Error(`unknown op ${message.op}`);
        reply = { id: message.id, ok: true, value: await handler(message.arg) };
      } catch (err) {
        reply = { id: message.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
      }
      process.send?.(reply);
    })();
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ ready: true, info } satisfies ReadyMessage);
}

export interface ChildOptions {
  readonly name: string;
  readonly script: string;
  readonly env: Record<string, string>;
  readonly cwd: string;
  /** File that receives the child's stdout (the app's pino logs). */
  readonly logFile: string;
  readonly readyTimeoutMs?: number;
}

/** Parent side: a forked TypeScript child (through tsx) with a call() API. */
export class BenchChild {
  readonly name: string;
  readonly logFile: string;
  readonly #proc: ChildProcess;
  readonly #pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  #nextId = 1;
  #stderr = '';
  #exited: string | undefined;
  readonly ready: Promise<Record<string, unknown>>;

  constructor(options: ChildOptions) {
    this.name = options.name;
    this.logFile = options.logFile;
    const out = openSync(options.logFile, 'w');
    try {
      this.#proc = fork(options.script, [], {
        cwd: options.cwd,
        env: options.env,
        execArgv: ['--expose-gc', '--import', 'tsx'],
        stdio: ['ignore', out, 'pipe', 'ipc'],
      });
    } finally {
      closeSync(out);
    }
    this.#proc.stderr?.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-6000);
    });
    this.ready = new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`${this.name} not ready within ${options.readyTimeoutMs ?? 120_000} ms${this.diagnostics()}`),
          ),
        options.readyTimeoutMs ?? 120_000,
      );
      this.#proc.on('message', (message: IpcReply | ReadyMessage) => {
        if ('ready' in message) {
          clearTimeout(timer);
          resolve(message.info);
          return;
        }
        const pending = this.#pending.get(message.id);
        if (!pending) return;
        this.#pending.delete(message.id);
        clearTimeout(pending.timer);
        if (message.ok) pending.resolve(message.value);
        else pending.reject(new Error(`${this.name}: ${message.error}`));
      });
      this.#proc.on('exit', (code, signal) => {
        clearTimeout(timer);
        this.#exited = `exit ${code ?? signal}`;
        const error = new Error(`${this.name} exited (${this.#exited})${this.diagnostics()}`);
        reject(error);
        for (const pending of this.#pending.values()) {
          clearTimeout(pending.timer);
          pending.reject(error);
        }
        this.#pending.clear();
      });
    });
    this.ready.catch(() => undefined);
  }

  get alive(): boolean {
    return this.#exited === undefined;
  }

  call<T>(op: string, arg?: unknown, timeoutMs = 20_000): Promise<T> {
    if (!this.alive) return Promise.reject(new Error(`${this.name} is not running (${this.#exited})`));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${this.name}: ${op} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.#proc.send({ id, op, arg } satisfies IpcRequest);
    });
  }

  /** Asks the child to exit (so it can finish writing), SIGKILL after `graceMs`. */
  async stop(graceMs = 3_000): Promise<void> {
    if (!this.alive) return;
    const exited = new Promise<void>((resolve) => this.#proc.once('exit', () => resolve()));
    try {
      this.#proc.disconnect();
    } catch {
      // Already disconnected.
    }
    const timer = setTimeout(() => this.kill(), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** Synchronous last resort (process 'exit' handlers). */
  kill(): void {
    if (this.alive) this.#proc.kill('SIGKILL');
  }

  diagnostics(): string {
    let log = '';
    try {
      log = readFileSync(this.logFile, 'utf8').split('\n').filter(Boolean).slice(-8).join('\n');
    } catch {
      // No log yet.
    }
    return `\n--- ${this.name} stderr (tail) ---\n${this.#stderr.trim() || '(empty)'}\n--- ${this.name} log (tail, ${this.logFile}) ---\n${log || '(empty)'}`;
  }
}
