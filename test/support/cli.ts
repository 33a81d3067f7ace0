import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cliPath, projectRoot } from './paths.js';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the compiled CLI (built by `npm test`'s pretest) against a throwaway data folder. */
export function runCli(dataDir: string, args: string[], env: Record<string, string> = {}): CliResult {
  const result = spawnSync(process.execPath, [cliPath, ...args], {
    cwd: projectRoot,
    env: { ...process.env, POSTVAULT_DATA_DIR: dataDir, POSTVAULT_LOG_LEVEL: 'warn', ...env },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function spawnCli(dataDir: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [cliPath, ...args], {
    cwd: projectRoot,
    env: { ...process.env, POSTVAULT_DATA_DIR: dataDir, POSTVAULT_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
