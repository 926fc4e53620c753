import { type FileHandle, open, rm } from "node:fs/promises";

const CHUNK_BYTES = 256 * 1024;

export interface FileDownload {
  stream: ReadableStream<Uint8Array>;
  size: number;
}

function streamFrom(handle: FileHandle): ReadableStream<Uint8Array> {
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await handle.close();
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const buffer = new Uint8Array(CHUNK_BYTES);
        const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, null);
        if (bytesRead === 0) {
          await close();
          controller.close();
        } else {
          controller.enqueue(buffer.subarray(0, bytesRead));
        }
      } catch (error) {
        await close();
        controller.error(error);
      }
    },
    cancel: close,
  });
}

/**
 * Streams a temporary file that only this response may read, and removes `dir` (the file's
 * private directory) before the first byte goes out: the open handle keeps the bytes readable
 * until the stream ends or the client goes away, and no copy is left behind, whatever happens
 * to the request or the process.
 */
export async function temporaryFileDownload(path: string, dir: string): Promise<FileDownload> {
  try {
    const handle = await open(path, "r");
    try {
      const { size } = await handle.stat();
      return { stream: streamFrom(handle), size };
    } catch (error) {
      await handle.close();
      throw error;
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
