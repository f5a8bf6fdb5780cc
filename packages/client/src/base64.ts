/** Standard base64 of `bytes`. In slices: spreading a large payload into one call would exceed the argument limit. */
export function bytesToBase64(bytes: Uint8Array): string {
  const slice = 0x8000;
  let binary = "";
  for (let start = 0; start < bytes.length; start += slice) {
    binary += String.fromCharCode(...bytes.subarray(start, start + slice));
  }
  return btoa(binary);
}

/** The bytes of standard base64 `text`. */
export function base64ToBuffer(text: string): ArrayBuffer {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index += 1) bytes[index] = binary.charCodeAt(index);
  return bytes.buffer;
}
