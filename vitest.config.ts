import { defineConfig } from 'vitest/config';

// Integration tests start real servers (influxd, Aedes, Modbus simulators) on free
// loopback ports; they are I/O bound, so a couple of files in parallel is enough on 2 cores.
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
