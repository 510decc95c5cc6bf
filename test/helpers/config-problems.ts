/** The problems `loadConfig` reports for a configuration it must refuse. */
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config/config.js';

export function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}
