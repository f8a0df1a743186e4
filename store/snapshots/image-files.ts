// Camera images on disk, content-addressed: `{dir}/ab/<sha256>.jpg`, where `ab` are the
// first two hex digits (256 folders keep directory listings short). An image is written to a
// temp file, fsynced, renamed into place and its folder fsynced, so a file under its final
// name is always whole; an identical image has the same name and is stored once.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

export const SHA256_PATTERN = /^[0-9a-f]{64}$/;
const TEMP_DIR = 'tmp';

export function imagePath(dir: string, sha256: string): string {
  if (!SHA256_PATTERN.test(sha256)) throw new Error(`not a sha256: "${sha256}"`);
  return path.join(dir, sha256.slice(0, 2), `${sha256}.jpg`);
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function sizeOf(file: string): Promise<number | undefined> {
  try {
    return (await fs.stat(file)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Writes the image unless a whole copy is already there; returns whether it wrote. */
export async function writeImage(dir: string, sha256: string, image: Buffer): Promise<boolean> {
  const final = imagePath(dir, sha256);
  if ((await sizeOf(final)) === image.length) return false;
  const folder = path.dirname(final);
  await fs.mkdir(folder, { recursive: true });
  await fs.mkdir(path.join(dir, TEMP_DIR), { recursive: true });
  const temp = path.join(dir, TEMP_DIR, `${sha256}.${process.pid}.${randomBytes(4).toString('hex')}`);
  const handle = await fs.open(temp, 'wx');
  try {
    await handle.writeFile(image);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await fs.rm(temp, { force: true });
    throw err;
  }
  await handle.close();
  await fs.rename(temp, final);
  await fsyncDir(folder);
  return true;
}

export async function deleteImage(dir: string, sha256: string): Promise<void> {
  await fs.rm(imagePath(dir, sha256), { force: true });
}

/** The image bytes, or undefined when there is no such file. */
export async function readImage(dir: string, sha256: string): Promise<Buffer | undefined> {
  try {
    return await fs.readFile(imagePath(dir, sha256));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Leftover temp files of writes that a crash interrupted. */
export async function clearTempFiles(dir: string): Promise<void> {
  await fs.rm(path.join(dir, TEMP_DIR), { recursive: true, force: true });
}

/** Every stored image's sha256 (for sweeping files that no index row knows). */
export async function listImages(dir: string): Promise<string[]> {
  const out: string[] = [];
  let folders: string[];
  try {
    folders = await fs.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw err;
  }
  for (const folder of folders) {
    if (!/^[0-9a-f]{2}$/.test(folder)) continue;
    for (const name of await fs.readdir(path.join(dir, folder))) {
      const sha = name.endsWith('.jpg') ? name.slice(0, -4) : '';
      if (SHA256_PATTERN.test(sha) && sha.startsWith(folder)) out.push(sha);
    }
  }
  return out;
}
