/** Hands a Blob to the browser as a file download through a short-lived object URL. */
export function downloadBlob(fileName: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Hands text to the browser as a file download. */
export function downloadText(fileName: string, mimeType: string, content: string): void {
  downloadBlob(fileName, new Blob([content], { type: mimeType }));
}

/** Hands binary content that crossed the bridge as base64url (a label PDF, an audit PDF) to the browser as a file. */
export function downloadBase64url(fileName: string, mimeType: string, base64url: string): void {
  const binary = atob(base64url.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
  downloadBlob(fileName, new Blob([bytes], { type: mimeType }));
}
