// Finding system tools, and the message a missing one produces.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findTool, missingToolMessage, requireTool, toolAvailable } from './tools.js';

describe('system tools', () => {
  it('finds an executable on PATH and by absolute path', () => {
    const sh = findTool('sh');
    expect(sh).toMatch(/\/sh$/);
    expect(findTool(sh as string)).toBe(sh);
    expect(toolAvailable('sh')).toBe(true);
    expect(requireTool('sh')).toBe(sh);
  });

  it('names a missing tool and the package that provides it', () => {
    expect(toolAvailable('sb-no-such-tool')).toBe(false);
    expect(() => requireTool('sb-no-such-tool')).toThrow('system tool "sb-no-such-tool" not found on PATH (install it: apt-get install -y sb-no-such-tool)');
    expect(missingToolMessage('influxd')).toMatch(/apt-get install -y influxdb/);
  });

  it('does not take a directory or a non-executable file for a tool', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-tools-'));
    try {
      const plain = path.join(dir, 'not-a-tool');
      fs.writeFileSync(plain, '#!/bin/sh\n', { mode: 0o644 });
      expect(findTool(dir)).toBeUndefined();
      expect(findTool(plain)).toBeUndefined();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
