/**
 * Finds the FerretDB binary or builds it once from the Go module proxy into .cache/ferretdb/.
 * Plain `go install ...@v1.24.2` does not work: the release's module lacks its generated
 * build/version/version.txt, so we build from a copy of the module source with that file added.
 */
import { execFile } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../paths.js';

const run = promisify(execFile);

export const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';
export const FERRETDB_VERSION = 'v1.24.2';

export function ferretdbCacheDir(): string {
  return path.join(projectRoot(), '.cache', 'ferretdb');
}

export function ferretdbBinaryPath(): string {
  return path.join(ferretdbCacheDir(), `ferretdb-${FERRETDB_VERSION}`);
}

export class FerretdbBuildError extends Error {}

async function goAvailable(): Promise<boolean> {
  try {
    await run('go', ['version']);
    return true;
  } catch {
    return false;
  }
}

/** Returns the path of a runnable FerretDB binary, building it first when needed (about a minute). */
export async function ensureFerretdbBinary(log: (message: string) => void = () => {}): Promise<string> {
  const binary = ferretdbBinaryPath();
  if (existsSync(binary)) return binary;
  if (!(await goAvailable())) {
    throw new FerretdbBuildError('Go is not installed, so FerretDB cannot be built (install Go 1.22+ or set MONGODB_URI).');
  }
  log(`Building FerretDB ${FERRETDB_VERSION} once with Go into ${ferretdbCacheDir()} (takes a minute or two)...`);
  const cacheDir = ferretdbCacheDir();
  const sourceDir = path.join(cacheDir, `src-${FERRETDB_VERSION}`);
  const env = { ...process.env, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' };
  try {
    mkdirSync(cacheDir, { recursive: true });
    const { stdout } = await run('go', ['mod', 'download', '-json', `${FERRETDB_MODULE}@${FERRETDB_VERSION}`], {
      env,
      cwd: cacheDir,
      maxBuffer: 1 << 20,
    });
    const moduleDir = (JSON.parse(stdout) as { Dir?: string }).Dir;
    if (!moduleDir) throw new Error(`go mod download gave no source folder: ${stdout}`);
    rmSync(sourceDir, { recursive: true, force: true });
    cpSync(moduleDir, sourceDir, { recursive: true });
    chmodRecursive(sourceDir);
    writeFileSync(path.join(sourceDir, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
    const partial = `${binary}.partial`;
    await run('go', ['build', '-trimpath', '-o', partial, './cmd/ferretdb'], { env, cwd: sourceDir, maxBuffer: 16 << 20 });
    renameSync(partial, binary);
    rmSync(sourceDir, { recursive: true, force: true });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr;
    throw new FerretdbBuildError(`Building FerretDB failed: ${stderr?.trim() || (error as Error).message}`);
  }
  log(`FerretDB built: ${binary}`);
  return binary;
}

/** The Go module cache is read-only; the copy must be writable to add version.txt and to be removed later. */
function chmodRecursive(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) chmodRecursive(full);
    else chmodSync(full, 0o644);
  }
}
