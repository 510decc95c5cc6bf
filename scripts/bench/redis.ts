/**
 * The Redis part of the benchmark (bench only): the app with REDIS_URL in
 * part 1, and two instances sharing Redis in the storm. It runs when
 * `redis-server` is installed; the benchmark starts its own, on a free
 * loopback port, without persistence, and kills it when done.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { createClient } from 'redis';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort } from './free-port.js';

const BINARY = process.env.REDIS_SERVER_BIN ?? 'redis-server';

/** Whether the Redis part runs, and why not. */
export function planRedis(): { enabled: true } | { enabled: false; reason: string } {
  if (process.env.BENCH_REDIS === 'off') return { enabled: false, reason: 'skipped: BENCH_REDIS=off' };
  const probe = spawnSync(BINARY, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return { enabled: false, reason: 'skipped: redis-server is not installed' };
  return { enabled: true };
}

export interface BenchRedis {
  readonly port: number;
  readonly url: string;
  /** CPU µs the server process has used so far (user + system, from /proc). */
  cpuMicros(): Promise<number>;
  /** The server's `used_memory` in bytes (INFO memory). */
  usedMemory(): Promise<number>;
  /** Kills the server. */
  dispose(): Promise<void>;
}

/** Clock ticks per second of /proc/<pid>/stat's CPU fields. */
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** utime + stime of `pid` in µs (proc(5): fields 14 and 15, counted after the parenthesised command name). */
function processCpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
}

/** True when the server answers PING with PONG. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => done(chunk.toString('utf8').startsWith('+PONG')));
  });
}

/** A redis-server on a free loopback port, with no persistence; ready when it answers PING. */
export async function startRedis(): Promise<BenchRedis> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'];
  const child = spawn(BINARY, args, { stdio: 'ignore' });
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `redis://127.0.0.1:${port}`;
  const server: BenchRedis = {
    port,
    url,
    cpuMicros: async () => processCpuMicros(child.pid as number),
    async usedMemory() {
      const client = createClient({ url, RESP: 3 });
      await client.connect();
      try {
        const info = await client.info('memory');
        return Number(/used_memory:(\d+)/.exec(info)?.[1]);
      } finally {
        client.destroy();
      }
    },
    async dispose() {
      process.removeListener('exit', kill);
      if (child.exitCode === null && child.signalCode === null) kill();
      await exited;
    },
  };
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await delay(50)) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    if (await answersPing(port)) return server;
  }
  await server.dispose();
  throw new Error(`redis-server on port ${port} did not start`);
}
