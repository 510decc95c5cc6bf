/**
 * The one way an entry point (server, M2M CLI, standalone demo API) gets its
 * configuration: `.env` if present, then the environment, validated once by
 * `loadConfig`. Nothing else reads `process.env`.
 */
import { ConfigError, loadConfig, type Config } from './config.js';

/** Loads `.env` (optional; Node ≥ 20.12 reads it without a dependency) and validates the environment. */
export function readConfig(envFile = '.env'): Config {
  try {
    process.loadEnvFile(envFile);
  } catch {
    // No .env: demo mode or plain environment variables.
  }
  return loadConfig(process.env);
}

/** `readConfig` for a process entry: a bad configuration prints every problem and exits 1. */
export function readConfigOrExit(): Config {
  try {
    return readConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}
