/**
 * Removes absolute filesystem paths from a message that came from elsewhere (a runtime's error text), so an answer
 * to a caller never shows where the server keeps its files: each path is cut to its last component.
 */
const ABSOLUTE_PATH = /(^|[\s'"`(=[,:])((?:[A-Za-z]:)?[\\/](?:[^\s'"`()\\/:,]+[\\/])+)([^\s'"`()\\/:,]*)/g;

/** `message` with every absolute path replaced by its file name, e.g. "/srv/models/m/1/model.onnx" → "model.onnx". */
export function redactPaths(message: string): string {
  return message.replace(
    ABSOLUTE_PATH,
    (_whole, before: string, _dirs: string, last: string) => `${before}${last || '…'}`,
  );
}
